//! The yearly assessment's API (考核评价, `/api/v1/assessments/…`) end to end, on SQLite and
//! PostgreSQL, on a server whose clock stands on the first working day of 2027: every unit's
//! result computed from the platform's data (a dishonest record costs its points, with the record
//! as evidence), scores given by the unit and the credit office with every problem named, the
//! year-end review closed as a signed snapshot that later records do not change, reopened only
//! with a reason; the indicator set saved or refused whole; who may see what.

use probity_domain::account::AccountRole;
use probity_store::Store;
use probity_testkit::{Accounts, backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::{
    Served, app_on_day, day, empty_index, json_of, request, session, set_noon, with_session,
};

/// Monday 4 January 2027: the 2026 year-end review may be closed.
const START: &str = "2027-01-04";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Office,
    Provider,
    Unit,
    Hr,
}

struct Platform {
    base: String,
    client: reqwest::blocking::Client,
    _app: probity_app::App,
    admin: (String, String),
    provider_token: String,
    unit_token: String,
    hr_token: String,
    _server: Served,
}

impl Platform {
    fn start(store: &Store) -> Platform {
        roster::binhai(store);
        let roles = [
            AccountRole::Admin,
            AccountRole::Provider,
            AccountRole::Unit,
            AccountRole::Hr,
        ];
        let accounts = Accounts::create(store, "a", &roles).with_credentials(
            store,
            &[AccountRole::Provider, AccountRole::Unit, AccountRole::Hr],
        );
        let app = app_on_day(store, START);
        let server = Served::start(&app, empty_index());
        let admin = session(store, &app, &accounts, AccountRole::Admin);
        Platform {
            base: server.base.clone(),
            client: reqwest::blocking::Client::new(),
            _app: app,
            admin,
            provider_token: accounts.token(AccountRole::Provider).to_string(),
            unit_token: accounts.token(AccountRole::Unit).to_string(),
            hr_token: accounts.token(AccountRole::Hr).to_string(),
            _server: server,
        }
    }

    fn send(&self, method: &str, path: &str, who: Who, body: Option<Value>) -> (StatusCode, Value) {
        let b = request(&self.client, &self.base, method, path, body);
        let b = match who {
            Who::Office => with_session(b, &self.admin),
            Who::Provider => b.bearer_auth(&self.provider_token),
            Who::Unit => b.bearer_auth(&self.unit_token),
            Who::Hr => b.bearer_auth(&self.hr_token),
        };
        json_of(b.send().unwrap())
    }

    fn get(&self, path: &str, who: Who) -> (StatusCode, Value) {
        self.send("GET", path, who, None)
    }

    /// A dishonest record about 新河街道 reported by the finance bureau, activated.
    fn town_record(&self, store: &Store, doc: &str, decided_on: &str, until: &str) -> i64 {
        let town = store.find_unit(roster::TOWN).unwrap();
        let (status, v) = self.send(
            "POST",
            "/api/v1/records",
            Who::Provider,
            Some(json!({
                "category": "PAYMENT_ARREARS",
                "document_no": doc,
                "decided_on": decided_on,
                "disclosure_until": until,
                "authority": roster::FINANCE,
                "facts": format!("经查，{doc}所涉款项逾期未付"),
                "outcome": "责令限期改正",
                "subject_name": town.name,
                "uscc": town.uscc.unwrap(),
            })),
        );
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let id = v["id"].as_i64().unwrap();
        let (status, v) = self.send(
            "POST",
            &format!("/api/v1/records/{id}/activate"),
            Who::Office,
            Some(json!({})),
        );
        assert_eq!(status, StatusCode::OK, "{v}");
        id
    }

    fn score(
        &self,
        who: Who,
        unit: i64,
        indicator: &str,
        points: Value,
        comment: &str,
    ) -> (StatusCode, Value) {
        self.send(
            "PUT",
            &format!("/api/v1/assessments/2026/units/{unit}/scores/{indicator}"),
            who,
            Some(json!({"points": points, "comment": comment})),
        )
    }
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

fn indicator<'a>(unit: &'a Value, code: &str) -> &'a Value {
    unit["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["indicators"].as_array().unwrap())
        .find(|i| i["code"] == code)
        .unwrap_or_else(|| panic!("no indicator {code}"))
}

fn hundredths(v: &Value) -> i64 {
    (v.as_f64().unwrap() * 100.0).round() as i64
}

/// Every indicator's lines add up from its base to its points, and the dimensions to the total.
fn assert_adds_up(unit: &Value) {
    let mut total = 0;
    for d in unit["dimensions"].as_array().unwrap() {
        let mut dim = 0;
        for i in d["indicators"].as_array().unwrap() {
            if i["status"] != "calculated" {
                assert!(i["points"].is_null(), "{i}");
                assert!(i["note"].is_string(), "{i}");
                continue;
            }
            let sum: i64 = i["lines"]
                .as_array()
                .unwrap()
                .iter()
                .map(|l| hundredths(&l["points"]))
                .sum();
            assert_eq!(
                hundredths(&i["base"]) + sum,
                hundredths(&i["points"]),
                "{i}"
            );
            dim += hundredths(&i["points"]);
        }
        assert_eq!(dim, hundredths(&d["points"]), "{d}");
        if d["status"] != "not_applicable" {
            total += dim;
        }
    }
    assert_eq!(total, hundredths(&unit["standing"]["points"]));
}

#[test]
fn the_year_end_review_is_computed_explained_scored_closed_and_reopened() {
    for b in backends("assessments_api") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let town = store.find_unit(roster::TOWN).unwrap();
        let other = store.find_unit(roster::OTHER_TOWN).unwrap();
        let rec = p.town_record(store, "津滨财〔2026〕41号", "2026-03-10", "2027-01-05");

        // Every unit, ranked in its group; none graded while hand scores are missing.
        let (status, v) = p.get("/api/v1/assessments/2026", Who::Hr);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["period"]["label"], "2026年年终考评");
        assert_eq!(v["period"]["state"], "open");
        let units = v["units"].as_array().unwrap();
        let groups: Vec<&str> = units.iter().map(|u| u["group"].as_str().unwrap()).collect();
        assert_eq!(
            groups,
            ["区级部门", "区级部门", "街镇", "街镇"],
            "[{name}] {v}"
        );
        let t = units.iter().find(|u| u["unit_id"] == town.id).unwrap();
        assert_eq!(t["status"], "insufficient_data", "[{name}] {t}");
        assert!(t["grade"].is_null());

        // The unit reads its own explanation: the record costs its points, linked.
        let path = format!("/api/v1/assessments/2026/units/{}", town.id);
        let (status, u) = p.get(&path, Who::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {u}");
        let d501 = indicator(&u, "D5.01");
        let line = &d501["lines"][0];
        assert_eq!(line["evidence"], "record", "[{name}] {d501}");
        assert_eq!(line["evidence_id"], rec);
        assert_eq!(line["link"], format!("/console/records/{rec}"));
        assert!(hundredths(&line["points"]) < 0, "[{name}] {line}");
        assert!(
            line["reason"]
                .as_str()
                .unwrap()
                .contains("津滨财〔2026〕41号")
        );
        assert_eq!(indicator(&u, "D1.01")["note"], "信用办尚未评分");
        assert_eq!(indicator(&u, "D4.04")["sort_label"], "单位自评");
        assert_adds_up(&u);
        // Not another unit's, not the whole district.
        let (status, _) = p.get(
            &format!("/api/v1/assessments/2026/units/{}", other.id),
            Who::Unit,
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, _) = p.get("/api/v1/assessments/2026", Who::Unit);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, _) = p.get("/api/v1/assessments/2026", Who::Provider);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, v) = p.get("/api/v1/assessments/2026?period=q3", Who::Hr);
        assert!(status.is_client_error(), "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_UNKNOWN");

        // The unit self-assesses; it may not score what the credit office scores.
        let (status, v) = p.score(
            Who::Unit,
            town.id,
            "D4.04",
            json!(4),
            "公开承诺事项已全部兑现，附兑现台账",
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, v) = p.score(Who::Unit, town.id, "D1.01", json!(4), "自评");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let (status, v) = p.score(Who::Unit, other.id, "D4.04", json!(4), "自评");
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        // Every problem of a score at once, nothing saved.
        let (status, v) = p.score(Who::Office, town.id, "D1.01", json!("4.5"), " ");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let fields: Vec<&str> = v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains(&"points") && fields.contains(&"comment"),
            "[{name}] {v}"
        );
        let (status, v) = p.score(Who::Office, town.id, "D5.01", json!(1), "系统计算的指标");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let (status, v) = p.score(Who::Office, town.id, "D1.01", json!("2.345"), "三位小数");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(
            v["error"]["fields"][0]["code"], "SCORE_OUT_OF_RANGE",
            "[{name}] {v}"
        );

        // The credit office scores every hand-scored indicator of both townships; it adjusts
        // the self-assessment, which keeps the unit's claim beside.
        let (_, set) = p.get("/api/v1/indicator-sets/2026", Who::Office);
        let set: probity_domain::assessment::IndicatorSet =
            probity_domain::assessment::IndicatorSet::parse(set["text"].as_str().unwrap()).unwrap();
        for unit in [town.id, other.id] {
            for i in set.dimensions.iter().flat_map(|d| &d.indicators) {
                if i.sort == probity_domain::assessment::Sort::Computed {
                    continue;
                }
                let points = if unit == town.id && i.code == "D4.04" {
                    json!(3.5)
                } else {
                    json!(i.max_points.to_string())
                };
                let (status, v) = p.score(Who::Office, unit, &i.code, points, "材料齐全，符合要求");
                assert_eq!(status, StatusCode::OK, "[{name}] {} {v}", i.code);
            }
        }
        let (_, u) = p.get(&path, Who::Hr);
        assert_eq!(u["standing"]["status"], "calculated", "[{name}] {u}");
        assert!(u["standing"]["grade"].is_string(), "[{name}] {u}");
        assert_eq!(
            u["standing"]["rank"], 2,
            "[{name}] the other township has no record: {u}"
        );
        let d404 = indicator(&u, "D4.04")["lines"][0]["reason"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            d404.contains("单位自评 4 分，信用办调整为 3.5 分"),
            "[{name}] {d404}"
        );
        assert_adds_up(&u);
        let before = u["standing"]["points"].clone();

        // The unit may no longer change a confirmed self-assessment.
        let (status, v) = p.score(Who::Unit, town.id, "D4.04", json!(4), "再次自评");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "SCORE_CONFIRMED", "[{name}] {v}");

        // Closing: only the credit office; the snapshot is signed.
        let (status, _) = p.send("POST", "/api/v1/assessments/2026/close", Who::Hr, None);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, v) = p.send(
            "POST",
            "/api/v1/assessments/2026/close",
            Who::Office,
            Some(json!({})),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["period"]["state"], "closed");
        assert_eq!(v["period"]["signature_valid"], true, "[{name}] {v}");
        let (status, v) = p.send(
            "POST",
            "/api/v1/assessments/2026/close",
            Who::Office,
            Some(json!({})),
        );
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_CLOSED");
        // The credit check reads each unit's closed grade: 不合格 bars its honours, 优秀 puts
        // it first (unless a record bars it); the other grades change nothing.
        let grade_rules = |p: &Platform| -> Vec<(String, String, Vec<String>)> {
            let (_, all) = p.get("/api/v1/assessments/2026", Who::Hr);
            all["units"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| {
                    let id = u["unit_id"].as_i64().unwrap();
                    let (status, c) = p.send(
                        "POST",
                        "/api/v1/sanctions/check",
                        Who::Hr,
                        Some(json!({"subject": id.to_string(), "purpose": "honour", "year": 2026})),
                    );
                    assert_eq!(status, StatusCode::OK, "{c}");
                    let rules = c["rules"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|r| r.as_str().unwrap().to_string())
                        .filter(|r| r.starts_with("UNIT_GRADE_"))
                        .collect();
                    (
                        u["grade"].as_str().unwrap_or("").to_string(),
                        c["decision"].as_str().unwrap().to_string(),
                        rules,
                    )
                })
                .collect()
        };
        let closed = grade_rules(&p);
        eprintln!("GRADES {closed:?}");
        assert!(
            closed.iter().any(|(g, _, _)| !g.is_empty()),
            "[{name}] {closed:?}"
        );
        for (grade, decision, rules) in &closed {
            match grade.as_str() {
                "不合格" => assert_eq!(rules, &["UNIT_GRADE_FAILED"], "[{name}] {closed:?}"),
                "优秀" if decision == "priority" => {
                    assert_eq!(rules, &["UNIT_GRADE_EXCELLENT"], "[{name}] {closed:?}")
                }
                _ => assert!(rules.is_empty(), "[{name}] {closed:?}"),
            }
        }
        // Closed: no score changes, no set changes, and a later record does not move it.
        let (status, v) = p.score(Who::Office, town.id, "D1.01", json!(1), "改分");
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_CLOSED");
        let shipped = probity_domain::assessment::SHIPPED[0].1;
        let (status, v) = p.send(
            "PUT",
            "/api/v1/indicator-sets/2026",
            Who::Office,
            Some(json!({"text": shipped})),
        );
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        p.town_record(store, "津滨财〔2026〕77号", "2026-11-20", "2027-06-01");
        let (_, u) = p.get(&path, Who::Unit);
        assert_eq!(
            u["standing"]["points"], before,
            "[{name}] the snapshot is frozen"
        );
        assert_eq!(u["period"]["state"], "closed");

        // Reopening needs a reason; then the later record counts.
        let (status, v) = p.send(
            "POST",
            "/api/v1/assessments/2026/reopen",
            Who::Office,
            Some(json!({"reason": " "})),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let (status, v) = p.send(
            "POST",
            "/api/v1/assessments/2026/reopen",
            Who::Office,
            Some(json!({"reason": "新河街道提出异议，经核实需重新计算"})),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (_, u) = p.get(&path, Who::Unit);
        assert_eq!(u["period"]["state"], "open");
        assert_eq!(
            u["period"]["reopened_because"],
            "新河街道提出异议，经核实需重新计算"
        );
        assert!(
            hundredths(&u["standing"]["points"]) < hundredths(&before),
            "[{name}] {u}"
        );
        let records = indicator(&u, "D5.01")["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["evidence"] == "record")
            .count();
        assert_eq!(records, 2, "[{name}] {u}");
        let (status, v) = p.send(
            "POST",
            "/api/v1/assessments/2026/reopen",
            Who::Office,
            Some(json!({"reason": "再开"})),
        );
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_NOT_CLOSED");
        // Reopened, the grades are no one's until the period closes again.
        let reopened = grade_rules(&p);
        assert!(
            reopened.iter().all(|(_, _, rules)| rules.is_empty()),
            "[{name}] {reopened:?}"
        );
        // The journal keeps the close and the reopening.
        let journal = store.journal_page(0, 1_000).unwrap();
        let actions: Vec<String> = journal
            .iter()
            .filter(|e| e.entity == "assessment")
            .map(|e| e.action.clone())
            .collect();
        assert!(
            actions.contains(&"close_period".to_string()),
            "[{name}] {actions:?}"
        );
        assert!(
            actions.contains(&"reopen_period".to_string()),
            "[{name}] {actions:?}"
        );
    }
}

#[test]
fn an_indicator_set_is_saved_whole_or_refused_with_every_problem() {
    for b in backends("assessments_set") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let (status, v) = p.get("/api/v1/indicator-sets/2026", Who::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["source"], "shipped");
        assert_eq!(v["dimensions"], 6);
        assert_eq!(v["indicators"], 30);
        let (status, v) = p.get("/api/v1/indicator-sets/2027", Who::Office);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}] {v}");

        // Two problems at once: a dimension whose indicators do not add up, an unknown metric.
        let shipped = probity_domain::assessment::SHIPPED[0].1;
        let broken = shipped
            .replacen(
                "max_points = 4\nsort = \"office_scored\"",
                "max_points = 5\nsort = \"office_scored\"",
                1,
            )
            .replacen(
                "metric = \"complaints_upheld\"",
                "metric = \"complaints_ignored\"",
                1,
            );
        let (status, v) = p.send(
            "PUT",
            "/api/v1/indicator-sets/2026",
            Who::Office,
            Some(json!({"text": broken})),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert!(v.to_string().contains("complaints_ignored"), "[{name}] {v}");
        let (_, v) = p.get("/api/v1/indicator-sets/2026", Who::Office);
        assert_eq!(v["source"], "shipped", "[{name}] nothing saved");
        let broken = shipped.replacen(
            "max_points = 4\nsort = \"office_scored\"",
            "max_points = 5\nsort = \"office_scored\"",
            1,
        );
        let (status, v) = p.send(
            "PUT",
            "/api/v1/indicator-sets/2026",
            Who::Office,
            Some(json!({"text": broken})),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert!(
            v.to_string().contains("D1"),
            "[{name}] names the dimension: {v}"
        );

        // A valid change is saved and used: D1.01 worth 5, D1.02 worth 3.
        let changed = shipped
            .replacen(
                "max_points = 4\nsort = \"office_scored\"",
                "max_points = 5\nsort = \"office_scored\"",
                1,
            )
            .replacen(
                "code = \"D1.02\"\nname = \"权责清单编制公布与动态调整\"\nmax_points = 4",
                "code = \"D1.02\"\nname = \"权责清单编制公布与动态调整\"\nmax_points = 3",
                1,
            );
        let (status, v) = p.send(
            "PUT",
            "/api/v1/indicator-sets/2026",
            Who::Hr,
            Some(json!({"text": changed})),
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        let (status, v) = p.send(
            "PUT",
            "/api/v1/indicator-sets/2026",
            Who::Office,
            Some(json!({"text": changed})),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["source"], "saved");
        let town = store.find_unit(roster::TOWN).unwrap();
        let (_, u) = p.get(
            &format!("/api/v1/assessments/2026/units/{}", town.id),
            Who::Office,
        );
        assert_eq!(indicator(&u, "D1.01")["max"], 5.0, "[{name}] {u}");
        let (status, v) = p.score(Who::Office, town.id, "D1.02", json!(4), "超过新的满分");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert!(v.to_string().contains("0–3"), "[{name}] {v}");
    }
}

/// The day as the clock reads it at Beijing noon.
fn set_day(p: &Platform, d: &str) {
    set_noon(&p._app, d);
}

#[test]
fn cases_count_for_the_unit_that_held_them() {
    for b in backends("assessments_cases") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        // The development and reform commission files the draft record a founded complaint
        // raises (COMPLAINT_UPHELD's provider).
        let ndrc = probity_domain::subject::RosterRow {
            name: "天津市滨海新区发展和改革委员会".into(),
            short_name: "区发展改革委".into(),
            kind: "部门".into(),
            uscc: roster::uscc("WB000006"),
            parent: "区政府".into(),
            ..Default::default()
        };
        store
            .import_roster(vec![(2, ndrc.validate(false).unwrap())], "test")
            .unwrap();
        let town = store.find_unit(roster::TOWN).unwrap();
        let uscc = town.uscc.clone().unwrap();

        // Monday 2 March 2026: a record about the township; the clock opens its rectification,
        // which the township never files.
        set_day(&p, "2026-03-02");
        let rec = p.town_record(store, "津滨财〔2026〕51号", "2026-02-27", "2026-12-27");
        probity_app::cases::clock(&p._app, day("2026-03-02")).unwrap();
        let (_, list) = p.get("/api/v1/rectifications", Who::Office);
        let rect = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["record_id"] == rec)
            .unwrap_or_else(|| panic!("[{name}] no rectification: {list}"))["id"]
            .as_i64()
            .unwrap();

        // A hotline complaint about the township, routed to it, answered in three days, closed
        // as founded.
        let (status, v) = p.send(
            "POST",
            "/api/v1/complaints",
            Who::Office,
            Some(json!({
                "subject": uscc,
                "content": "来电反映该街道拖欠工程款。",
                "channel": "hotline",
            })),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let complaint = v["case_id"].as_i64().unwrap();
        let step = |who: Who, body: Value| {
            p.send(
                "POST",
                &format!("/api/v1/cases/{complaint}/steps"),
                who,
                Some(body),
            )
        };
        let (status, v) = step(Who::Office, json!({"action": "route", "unit": "新河街道"}));
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        set_day(&p, "2026-03-05");
        let (status, v) = step(
            Who::Unit,
            json!({"action": "answer", "finding": "founded", "text": "经核实属实，已于3月4日支付"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, v) = step(
            Who::Office,
            json!({"action": "close", "finding": "founded"}),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");

        // After the year: the township's turns are counted, each with its case.
        set_day(&p, "2027-01-04");
        probity_app::cases::clock(&p._app, day("2027-01-04")).unwrap();
        let (status, u) = p.get(
            &format!("/api/v1/assessments/2026/units/{}", town.id),
            Who::Unit,
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {u}");
        let evidence = |code: &str| -> Vec<i64> {
            indicator(&u, code)["lines"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|l| l["evidence"] == "case")
                .map(|l| l["evidence_id"].as_i64().unwrap())
                .collect()
        };
        // 整改按期完成率: one due, none on time; 逾期未整改: that one costs a point.
        let d503 = indicator(&u, "D5.03");
        assert_eq!(d503["status"], "calculated", "[{name}] {d503}");
        assert_eq!(d503["points"], 0.0, "[{name}] {d503}");
        assert_eq!(evidence("D5.03"), [rect], "[{name}] {d503}");
        assert_eq!(evidence("D5.04"), [rect], "[{name}] {u}");
        // 投诉举报按时办结率: answered in its own time (the credit office's review is not the
        // township's); 投诉举报查实情况: found true, a point off.
        let d301 = indicator(&u, "D3.01");
        assert_eq!(d301["status"], "calculated", "[{name}] {d301}");
        assert!(
            d301["lines"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("100%"),
            "[{name}] {d301}"
        );
        assert_eq!(evidence("D3.01"), [complaint], "[{name}] {d301}");
        assert_eq!(evidence("D3.03"), [complaint], "[{name}] {u}");
        assert!(hundredths(&indicator(&u, "D3.03")["lines"][0]["points"]) < 0);
        assert_adds_up(&u);
        // The other township held none of them.
        let other = store.find_unit(roster::OTHER_TOWN).unwrap();
        let (_, o) = p.get(
            &format!("/api/v1/assessments/2026/units/{}", other.id),
            Who::Hr,
        );
        assert_eq!(
            indicator(&o, "D5.03")["status"],
            "not_applicable",
            "[{name}] {o}"
        );
        assert_eq!(
            indicator(&o, "D3.01")["status"],
            "not_applicable",
            "[{name}] {o}"
        );
    }
}

/// A small PDF, as an office's scanner makes one (its bytes are ASCII, so the download reads
/// back as text).
const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
/// A PNG's first bytes.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

impl Platform {
    /// Posts files of evidence to a score, as a multipart form with the files named `file`.
    fn upload(
        &self,
        who: Who,
        unit: i64,
        indicator: &str,
        files: &[(&str, &[u8])],
    ) -> (StatusCode, Value) {
        use probity_testkit::browser::{BOUNDARY, Part, multipart};
        let parts: Vec<Part> = files.iter().map(|(n, b)| Part::File(n, b)).collect();
        let b = self
            .client
            .post(format!(
                "{}/api/v1/assessments/2026/units/{unit}/scores/{indicator}/evidence",
                self.base
            ))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(multipart(&parts));
        let b = match who {
            Who::Office => with_session(b, &self.admin),
            Who::Provider => b.bearer_auth(&self.provider_token),
            Who::Unit => b.bearer_auth(&self.unit_token),
            Who::Hr => b.bearer_auth(&self.hr_token),
        };
        json_of(b.send().unwrap())
    }

    /// Downloads a file: its status, `Content-Disposition` and bytes.
    fn download(&self, href: &str, who: Who) -> (StatusCode, String, Vec<u8>) {
        let b = self.client.get(format!("{}{href}", self.base));
        let b = match who {
            Who::Office => b.header("cookie", format!("probity_session={}", self.admin.0)),
            Who::Provider => b.bearer_auth(&self.provider_token),
            Who::Unit => b.bearer_auth(&self.unit_token),
            Who::Hr => b.bearer_auth(&self.hr_token),
        };
        let res = b.send().unwrap();
        let status = res.status();
        let disposition = res
            .headers()
            .get("content-disposition")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (status, disposition, res.bytes().unwrap().to_vec())
    }
}

fn evidence_names(unit: &Value, code: &str) -> Vec<String> {
    indicator(unit, code)["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file_name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_score_carries_files_of_evidence_checked_listed_downloaded_and_kept_when_closed() {
    for b in backends("assessments_evidence") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let town = store.find_unit(roster::TOWN).unwrap();
        let other = store.find_unit(roster::OTHER_TOWN).unwrap();
        let path = format!("/api/v1/assessments/2026/units/{}", town.id);

        // Files go with a score already given.
        let (status, v) = p.upload(Who::Unit, town.id, "D4.04", &[("兑现台账.pdf", PDF)]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "SCORE_MISSING", "[{name}] {v}");
        let (status, v) = p.score(
            Who::Unit,
            town.id,
            "D4.04",
            json!(4),
            "公开承诺事项已全部兑现",
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, v) = p.upload(Who::Unit, town.id, "D4.04", &[("兑现台账.pdf", PDF)]);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["ids"].as_array().unwrap().len(), 1, "[{name}] {v}");

        // A wrong type, a renamed file, too many: each refused in Chinese with its code, and
        // nothing of the upload stored.
        let (status, v) = p.upload(
            Who::Unit,
            town.id,
            "D4.04",
            &[("说明.pdf", PDF), ("台账.exe", b"MZ\x90\0")],
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "ATTACHMENT_TYPE_UNSUPPORTED", "[{name}] {v}");
        assert!(
            v["error"]["message"].as_str().unwrap().contains("只接受"),
            "[{name}] {v}"
        );
        let (status, v) = p.upload(Who::Unit, town.id, "D4.04", &[("照片.pdf", PNG)]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "ATTACHMENT_TYPE_MISMATCH", "[{name}] {v}");
        let five = [("a.pdf", PDF); 5];
        let (status, v) = p.upload(Who::Unit, town.id, "D4.04", &five);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "TOO_MANY_FILES", "[{name}] {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("已有 1 个"),
            "[{name}] {v}"
        );
        let (status, v) = p.upload(Who::Unit, town.id, "D4.04", &[]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "FILE_REQUIRED", "[{name}] {v}");
        let (_, u) = p.get(&path, Who::Unit);
        assert_eq!(
            evidence_names(&u, "D4.04"),
            ["兑现台账.pdf"],
            "[{name}] {u}"
        );

        // Only the unit itself and the credit office add files; the unit not to another's
        // score, nor to what the office scores.
        let (status, _) = p.upload(Who::Provider, town.id, "D4.04", &[("x.pdf", PDF)]);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, _) = p.upload(Who::Hr, town.id, "D4.04", &[("x.pdf", PDF)]);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, _) = p.upload(Who::Unit, other.id, "D4.04", &[("x.pdf", PDF)]);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, v) = p.score(
            Who::Office,
            town.id,
            "D1.01",
            json!(3),
            "抽查两项，一项未公开",
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, v) = p.upload(Who::Unit, town.id, "D1.01", &[("x.pdf", PDF)]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "SCORE_CONFIRMED", "[{name}] {v}");
        let (status, v) = p.upload(
            Who::Office,
            town.id,
            "D1.01",
            &[("抽查记录.pdf", PDF), ("截图.png", PNG)],
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");

        // Listed with the indicator, downloaded as stored by those who see the result.
        let (_, u) = p.get(&path, Who::Hr);
        assert_eq!(
            evidence_names(&u, "D1.01"),
            ["抽查记录.pdf", "截图.png"],
            "[{name}] {u}"
        );
        let file = &indicator(&u, "D4.04")["evidence"][0];
        assert_eq!(file["kind"], "pdf", "[{name}] {file}");
        assert_eq!(file["size"], PDF.len(), "[{name}] {file}");
        assert_eq!(file["sm3"].as_str().unwrap().len(), 64, "[{name}] {file}");
        let href = file["href"].as_str().unwrap().to_string();
        for who in [Who::Unit, Who::Hr, Who::Office] {
            let (status, disposition, bytes) = p.download(&href, who);
            assert_eq!(status, StatusCode::OK, "[{name}] {who:?}");
            assert_eq!(bytes, PDF, "[{name}] {who:?}");
            assert!(
                disposition.starts_with("attachment;"),
                "[{name}] {disposition}"
            );
        }
        // Not through another unit's address, not by another unit.
        let id = file["id"].as_i64().unwrap();
        let (status, _, _) = p.download(
            &format!("/api/v1/assessments/2026/units/{}/evidence/{id}", other.id),
            Who::Hr,
        );
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        let (status, _, _) = p.download(
            &format!("/api/v1/assessments/2026/units/{}/evidence/{id}", other.id),
            Who::Unit,
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, _, _) = p.download(&href.replace("year_end", "mid_year"), Who::Hr);
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "[{name}] another period's address"
        );

        // The office confirms the self-assessment: the unit's files stay, it adds no more.
        let (status, v) = p.score(
            Who::Office,
            town.id,
            "D4.04",
            json!(4),
            "核对台账，确认自评",
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, v) = p.upload(Who::Unit, town.id, "D4.04", &[("补充.pdf", PDF)]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        assert_eq!(code(&v), "SCORE_CONFIRMED", "[{name}] {v}");

        // Closed: no files added, those given still shown and downloaded.
        let (status, v) = p.send(
            "POST",
            "/api/v1/assessments/2026/close",
            Who::Office,
            Some(json!({})),
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, v) = p.upload(Who::Office, town.id, "D1.01", &[("迟到.pdf", PDF)]);
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_CLOSED", "[{name}] {v}");
        let (_, u) = p.get(&path, Who::Unit);
        assert_eq!(u["period"]["state"], "closed", "[{name}] {u}");
        assert_eq!(
            evidence_names(&u, "D4.04"),
            ["兑现台账.pdf"],
            "[{name}] {u}"
        );
        assert_eq!(evidence_names(&u, "D1.01").len(), 2, "[{name}] {u}");
        let (status, _, bytes) = p.download(&href, Who::Unit);
        assert_eq!(
            (status, bytes.as_slice()),
            (StatusCode::OK, PDF),
            "[{name}]"
        );

        // Each file is in the journal with its digest.
        let journal = store.journal_page(0, 1_000).unwrap();
        let files = journal
            .iter()
            .filter(|e| e.entity == "assessment" && e.detail.contains("佐证材料"))
            .count();
        assert_eq!(files, 3, "[{name}]");
    }
}

#[test]
fn a_providing_department_sees_its_own_result_and_no_other() {
    for b in backends("assessments_provider") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        // The provider account is the finance bureau's: a department, assessed.
        let finance = store.find_unit(roster::FINANCE).unwrap();
        let town = store.find_unit(roster::TOWN).unwrap();
        let (status, u) = p.get(
            &format!("/api/v1/assessments/2026/units/{}", finance.id),
            Who::Provider,
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {u}");
        assert_eq!(u["standing"]["unit_id"], finance.id, "[{name}] {u}");
        assert_eq!(u["standing"]["group"], "区级部门", "[{name}] {u}");
        let (status, _) = p.get(
            &format!("/api/v1/assessments/2026/units/{}", town.id),
            Who::Provider,
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, _) = p.get("/api/v1/assessments/2026", Who::Provider);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");

        // It self-assesses its own unit's self-assessed indicators, with files, as any of the
        // unit's accounts would; not another unit's, and not what the credit office scores.
        let (status, v) = p.score(
            Who::Provider,
            finance.id,
            "D1.03",
            json!(3.5),
            "三项制度台账齐全",
        );
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (status, _) = p.upload(Who::Provider, finance.id, "D1.03", &[("台账.pdf", PDF)]);
        assert_eq!(status, StatusCode::OK, "[{name}]");
        let (_, u) = p.get(
            &format!("/api/v1/assessments/2026/units/{}", finance.id),
            Who::Provider,
        );
        let d103 = indicator(&u, "D1.03");
        assert_eq!(d103["status"], "insufficient_data", "[{name}] {d103}");
        assert_eq!(
            d103["note"], "单位自评 3.5 分，待信用办确认",
            "[{name}] {d103}"
        );
        assert_eq!(evidence_names(&u, "D1.03"), ["台账.pdf"], "[{name}] {d103}");
        let (status, _) = p.score(Who::Provider, town.id, "D1.03", json!(4), "替别人自评");
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, v) = p.score(Who::Provider, finance.id, "D1.01", json!(4), "自己打分");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
    }
}

#[test]
fn an_unknown_period_is_named_in_chinese_with_the_codes_to_send() {
    for b in backends("assessments_period") {
        let name = b.name;
        let p = Platform::start(&b.store);
        let (status, v) = p.get("/api/v1/assessments/2026?period=q3", Who::Hr);
        assert!(status.is_client_error(), "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_UNKNOWN");
        let message = v["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("应为年中检查或年终考评"),
            "[{name}] {message}"
        );
        assert!(
            message.contains("mid_year 为年中检查"),
            "[{name}] {message}"
        );
    }
}
