//! What follows a credit check, end to end on SQLite and PostgreSQL (`sanctions_api`'s platform,
//! its clock on 2026-06-01): the asking department's feedback on a restricted answer (反馈), once,
//! by that department (any of its accounts) or the credit office, every refusal with its code
//! and nothing changed; the asker's list with `pending=true`; the credit office's rates per
//! department; the pages in words with their forms and workbooks; a unit's measures in force on
//! its console, and on the public profile only those resting on public records.

use probity_ingest::{ColumnSpec, TableReader};
use probity_testkit::{backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::sanctions_api::{PERSON, Platform, Who, code, person_id};

const CHECKS: &str = "/api/v1/sanctions/checks";

fn no(v: &Value) -> String {
    v["check_no"].as_str().unwrap().to_string()
}

fn feedback_path(check_no: &str) -> String {
    format!("{CHECKS}/{check_no}/feedback")
}

/// The check numbers of a page of the list.
fn numbers(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|i| i["check_no"].as_str().unwrap().to_string())
        .collect()
}

/// Every check and its feedback, as the credit office lists them: what a refusal must leave
/// as it was.
fn everything(p: &Platform) -> Value {
    let (status, v) = p.get_json(&format!("{CHECKS}?limit=200"), Who::Office);
    assert_eq!(status, StatusCode::OK, "{v}");
    v
}

/// The codes no page may show: the API's words for purposes, decisions, states and measures.
const CODES: &[&str] = &[
    "excellent_rating",
    "honour",
    "restricted",
    "allowed",
    "priority",
    "not_applied",
    "pending",
    "HONOUR_INELIGIBLE",
    "UNIT_HONOUR_INELIGIBLE",
    "PILOT_INVESTMENT_FUNDING_PRIORITY",
    "department",
    "civil_servant",
];

/// The text a person reads on a page: its tags, attributes and hidden fields taken out.
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

fn assert_words_only(name: &str, html: &str) {
    let text = visible(html);
    for c in CODES {
        assert!(
            !text.contains(c),
            "[{name}] the page shows the code {c}: {text}"
        );
    }
}

/// 新河街道 and its USCC.
fn town(store: &probity_store::Store) -> (String, String) {
    let t = store.find_unit("新河街道").unwrap();
    (t.uscc.clone().unwrap(), t.name.clone())
}

#[test]
fn feedback_is_given_once_by_the_department_that_asked() {
    for b in backends("sanction_feedback") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let (uscc, town_name) = town(store);
        p.active_record(
            json!({"subject_name": town_name, "uscc": uscc}),
            "津滨财〔2026〕41号",
            "2026-01-05",
        );

        // The finance bureau asks twice (restricted for honours, allowed for a pilot), the
        // court once, the 组织人事部门 once, a second account of the finance bureau once.
        let ask = |who, purpose| {
            let (status, v) = p.check(who, &uscc, purpose, 2026);
            assert_eq!(status, StatusCode::OK, "[{name}] {v}");
            v
        };
        let finance = ask(Who::Provider, "honour");
        assert_eq!(finance["decision"], "restricted", "[{name}] {finance}");
        let pilot = ask(Who::Provider, "pilot");
        assert_eq!(pilot["decision"], "allowed", "[{name}] {pilot}");
        let court = ask(Who::Court, "honour");
        let hr = ask(Who::Hr, "honour");
        let colleague = ask(Who::Provider2, "honour");
        let (finance, pilot, court, hr, colleague) = (
            no(&finance),
            no(&pilot),
            no(&court),
            no(&hr),
            no(&colleague),
        );

        // Each asker lists its own (a department's accounts share theirs); the credit office
        // every check.
        let pending = |who| {
            let (status, v) = p.get_json(&format!("{CHECKS}?pending=true"), who);
            assert_eq!(status, StatusCode::OK, "[{name}] {v}");
            numbers(&v)
        };
        assert_eq!(
            pending(Who::Provider),
            [colleague.as_str(), finance.as_str()],
            "[{name}]"
        );
        assert_eq!(
            pending(Who::Provider2),
            [colleague.as_str(), finance.as_str()],
            "[{name}]"
        );
        assert_eq!(pending(Who::Court), [court.as_str()], "[{name}]");
        assert_eq!(pending(Who::Hr), [hr.as_str()], "[{name}]");
        assert_eq!(
            pending(Who::Office),
            [
                colleague.as_str(),
                hr.as_str(),
                court.as_str(),
                finance.as_str()
            ],
            "[{name}]"
        );
        let (_, v) = p.get_json(CHECKS, Who::Provider);
        assert_eq!(
            numbers(&v),
            [colleague.as_str(), pilot.as_str(), finance.as_str()],
            "[{name}]"
        );
        let item = &v["items"][2];
        assert_eq!(item["decision_label"], "限制", "[{name}] {item}");
        assert_eq!(item["purpose_label"], "荣誉评选", "[{name}] {item}");
        assert_eq!(item["feedback_state"], "pending", "[{name}] {item}");
        assert_eq!(
            item["measures"],
            json!(["取消荣誉评选资格"]),
            "[{name}] {item}"
        );
        assert_eq!(v["items"][1]["feedback_state"], "not_needed", "[{name}]");

        // Refusals, each with its code, none changing anything.
        let refused = |who, check: &str, body: Value, status: StatusCode, expect: &str| {
            let before = everything(&p);
            let (got, v) = p.post(&feedback_path(check), who, body);
            assert_eq!(got, status, "[{name}] {check} {v}");
            assert_eq!(code(&v), expect, "[{name}] {v}");
            assert_eq!(everything(&p), before, "[{name}] a refusal changed nothing");
            v
        };
        let applied = json!({"applied": true, "reason": "已取消其本年度荣誉评选资格"});
        // Another department's check.
        let v = refused(
            Who::Court,
            &finance,
            applied.clone(),
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        assert!(v["error"]["message"].as_str().unwrap().contains("提出核查"));
        refused(
            Who::Hr,
            &finance,
            applied.clone(),
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        // A check that restricted nothing.
        let v = refused(
            Who::Provider,
            &pilot,
            applied.clone(),
            StatusCode::CONFLICT,
            "CHECK_NOT_RESTRICTED",
        );
        assert!(
            v["error"]["message"].as_str().unwrap().contains("无限制"),
            "{v}"
        );
        // Not applied, and no reason.
        refused(
            Who::Provider,
            &finance,
            json!({"applied": false, "reason": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "REQUIRED",
        );
        refused(
            Who::Provider,
            &finance,
            json!({"applied": false, "reason": "原因".repeat(251)}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "TOO_LONG",
        );
        refused(
            Who::Provider,
            "HC20260601-9999",
            applied.clone(),
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
        );
        refused(
            Who::Provider,
            &finance,
            json!({"applied": true, "note": "x"}),
            StatusCode::BAD_REQUEST,
            "JSON_INVALID",
        );
        // A unit's account asks no check and gives no feedback (the authorisation table).
        refused(
            Who::Unit,
            &finance,
            applied.clone(),
            StatusCode::FORBIDDEN,
            "FORBIDDEN",
        );
        let (status, _) = p.get_json(CHECKS, Who::Unit);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");

        // The finance bureau reports it applied; a second report is refused, by anyone.
        let (status, v) = p.post(&feedback_path(&finance), Who::Provider, applied.clone());
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        assert_eq!(v["check_no"], finance.as_str());
        assert_eq!(v["feedback"]["applied"], true);
        assert_eq!(v["feedback"]["applied_label"], "已落实");
        assert_eq!(v["feedback"]["reason"], "已取消其本年度荣誉评选资格");
        assert!(
            v["feedback"]["by"].as_str().unwrap().contains("报送单位"),
            "[{name}] {v}"
        );
        assert!(
            v["feedback"]["at"]
                .as_str()
                .unwrap()
                .starts_with("2026-06-01")
        );
        let before = everything(&p);
        for who in [Who::Provider, Who::Provider2, Who::Office] {
            refused(
                who,
                &finance,
                json!({"applied": false, "reason": "改为未落实"}),
                StatusCode::CONFLICT,
                "FEEDBACK_EXISTS",
            );
        }
        assert_eq!(everything(&p), before);

        // A colleague of the same department reports on the other account's check; the
        // 组织人事部门 on its own; the credit office on the court's.
        let (status, v) = p.post(
            &feedback_path(&colleague),
            Who::Provider,
            json!({"applied": false, "reason": "评选已于核查前结束，未及落实"}),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        assert_eq!(v["feedback"]["applied_label"], "未落实");
        let (status, v) = p.post(&feedback_path(&hr), Who::Hr, json!({"applied": true}));
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        assert_eq!(
            v["feedback"]["reason"], "",
            "a note is optional when applied"
        );
        let (status, v) = p.post(
            &feedback_path(&court),
            Who::Office,
            json!({"applied": true, "reason": "区法院电话报告已落实，信用办代为登记"}),
        );
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        assert!(
            v["feedback"]["by"].as_str().unwrap().contains("信用办"),
            "[{name}] {v}"
        );

        // Nothing pending any more; the list filters by state.
        assert!(pending(Who::Office).is_empty(), "[{name}]");
        let (_, v) = p.get_json(&format!("{CHECKS}?feedback=not_applied"), Who::Office);
        assert_eq!(numbers(&v), [colleague.as_str()], "[{name}]");
        let item = &v["items"][0];
        assert_eq!(item["feedback"]["reason"], "评选已于核查前结束，未及落实");
        assert_eq!(item["feedback_state_label"], "未落实");
        let (_, v) = p.get_json(&format!("{CHECKS}?feedback=applied"), Who::Court);
        assert_eq!(numbers(&v), [court.as_str()], "[{name}]");
        let (status, v) = p.get_json(&format!("{CHECKS}?feedback=done"), Who::Office);
        assert!(status.is_client_error(), "[{name}] {status} {v}");
        assert_eq!(code(&v), "UNKNOWN_STATE", "[{name}] {v}");
        let (status, v) = p.get_json(&format!("{CHECKS}?decision=denied"), Who::Office);
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{name}] {v}");
        assert_eq!(code(&v), "DECISION_UNKNOWN", "[{name}] {v}");
        let (_, v) = p.get_json(
            &format!("{CHECKS}?decision=allowed&purpose=pilot"),
            Who::Office,
        );
        assert_eq!(numbers(&v), [pilot.as_str()], "[{name}]");
        // Pages: one at a time, in order.
        let (_, v) = p.get_json(&format!("{CHECKS}?limit=2"), Who::Office);
        assert_eq!(numbers(&v), [colleague.as_str(), hr.as_str()], "[{name}]");
        let next = v["next_before"].as_i64().unwrap();
        let (_, v) = p.get_json(&format!("{CHECKS}?limit=2&before={next}"), Who::Office);
        assert_eq!(numbers(&v), [court.as_str(), pilot.as_str()], "[{name}]");
    }
}

#[test]
fn a_civil_servants_name_stays_masked_in_the_list() {
    for b in backends("sanction_feedback_person") {
        let name = b.name;
        let p = Platform::start(&b.store);
        let id_number = person_id().as_str().to_string();
        p.active_record(
            json!({"subject_name": PERSON, "id_number": id_number}),
            "津滨财〔2026〕42号",
            "2026-01-05",
        );
        let (status, v) = p.check(Who::Hr, &id_number, "excellent_rating", 2026);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (_, list) = p.get_json(CHECKS, Who::Hr);
        assert_eq!(list["items"][0]["subject_name"], "王*", "[{name}] {list}");
        let (_, page) = p.get("/console/sanctions/checks", Who::Hr);
        assert!(page.contains("王*"), "[{name}]");
        assert!(!page.contains(PERSON), "[{name}] the name is masked");
        assert!(!page.contains(&id_number), "[{name}]");
        assert!(page.contains("年度考核优秀等次"), "[{name}]");
        assert_words_only(name, &page);
    }
}

#[test]
fn the_rates_count_each_department_apart() {
    for b in backends("sanction_rates") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let (uscc, town_name) = town(store);
        p.active_record(
            json!({"subject_name": town_name, "uscc": uscc}),
            "津滨财〔2026〕43号",
            "2026-01-05",
        );
        let ask = |who, purpose| {
            let (status, v) = p.check(who, &uscc, purpose, 2026);
            assert_eq!(status, StatusCode::OK, "[{name}] {v}");
            no(&v)
        };
        let give = |who, check: &str, applied: bool| {
            let (status, v) = p.post(
                &feedback_path(check),
                who,
                json!({"applied": applied, "reason": "详见书面报告"}),
            );
            assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        };
        // 区财政局: three restricted answers (two accounts) and one allowed; one applied, one
        // not, one pending.
        let f1 = ask(Who::Provider, "honour");
        let f2 = ask(Who::Provider2, "honour");
        ask(Who::Provider, "honour");
        ask(Who::Provider, "pilot");
        give(Who::Provider, &f1, true);
        give(Who::Provider2, &f2, false);
        // 区法院: two restricted answers, one applied.
        let c1 = ask(Who::Court, "honour");
        ask(Who::Court, "honour");
        give(Who::Court, &c1, true);

        let (status, v) = p.get_json("/api/v1/sanctions/feedback-rates", Who::Office);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let line = |dept: &str| {
            v["departments"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["department"] == dept)
                .unwrap_or_else(|| panic!("[{name}] {dept} missing: {v}"))
                .clone()
        };
        assert_eq!(
            v["departments"].as_array().unwrap().len(),
            2,
            "[{name}] {v}"
        );
        let finance = line(roster::FINANCE);
        assert_eq!(
            (
                &finance["checks"],
                &finance["restricted"],
                &finance["given"],
                &finance["applied"],
                &finance["not_applied"],
                &finance["pending"],
            ),
            (
                &json!(4),
                &json!(3),
                &json!(2),
                &json!(1),
                &json!(1),
                &json!(1)
            ),
            "[{name}] {finance}"
        );
        assert_eq!(finance["feedback_rate_text"], "66.7%", "[{name}] {finance}");
        assert_eq!(finance["applied_rate_text"], "50.0%", "[{name}] {finance}");
        let rate = finance["feedback_rate"].as_f64().unwrap();
        assert!((rate - 2.0 / 3.0).abs() < 1e-9, "[{name}] {finance}");
        let court = line(roster::COURT);
        assert_eq!(
            (
                &court["checks"],
                &court["restricted"],
                &court["given"],
                &court["applied"]
            ),
            (&json!(2), &json!(2), &json!(1), &json!(1)),
            "[{name}] {court}"
        );
        assert_eq!(court["not_applied"], 0);
        assert_eq!(court["feedback_rate_text"], "50.0%", "[{name}] {court}");
        assert_eq!(court["applied_rate_text"], "100.0%", "[{name}] {court}");
        let total = &v["total"];
        assert_eq!(total["department"], "合计");
        assert_eq!(
            (
                &total["checks"],
                &total["restricted"],
                &total["given"],
                &total["pending"]
            ),
            (&json!(6), &json!(5), &json!(3), &json!(2)),
            "[{name}] {total}"
        );
        assert_eq!(total["feedback_rate_text"], "60.0%", "[{name}] {total}");
        assert_eq!(total["applied_rate_text"], "66.7%", "[{name}] {total}");
        // The department with most still pending first.
        assert_eq!(
            v["departments"][0]["department"],
            roster::FINANCE,
            "[{name}]"
        );

        // Checks about another year count apart.
        let (_, v) = p.get_json("/api/v1/sanctions/feedback-rates?year=2027", Who::Office);
        assert!(
            v["departments"].as_array().unwrap().is_empty(),
            "[{name}] {v}"
        );
        assert_eq!(v["total"]["checks"], 0);
        assert!(v["total"]["feedback_rate"].is_null(), "[{name}] {v}");
        assert_eq!(v["total"]["feedback_rate_text"], "—");
        // The credit office's alone.
        for who in [Who::Provider, Who::Hr, Who::Unit] {
            let (status, _) = p.get_json("/api/v1/sanctions/feedback-rates", who);
            assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {who:?}");
        }

        // The page and its workbook say the same, in words.
        let (status, page) = p.get("/console/sanctions/feedback", Who::Office);
        assert_eq!(status, StatusCode::OK, "[{name}] {page}");
        for text in [
            "信用核查反馈统计",
            roster::FINANCE,
            roster::COURT,
            "66.7%",
            "50.0%",
            "100.0%",
            "60.0%",
            "合计",
            "反馈率",
            "落实率",
        ] {
            assert!(page.contains(text), "[{name}] {text} missing");
        }
        assert_words_only(name, &page);
        let (status, _) = p.get("/console/sanctions/feedback", Who::ProviderSession);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        let (status, bytes, kind) = p.get_bytes("/console/sanctions/feedback.xlsx", Who::Office);
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(kind.contains("spreadsheetml"), "[{name}] {kind}");
        let rows = workbook(
            &bytes,
            &[
                ("department", "核查部门"),
                ("checks", "核查次数"),
                ("restricted", "限制类结论"),
                ("given", "已反馈"),
                ("applied", "已落实"),
                ("not_applied", "未落实"),
                ("pending", "待反馈"),
                ("feedback_rate", "反馈率"),
                ("applied_rate", "落实率"),
            ],
        );
        assert_eq!(rows.len(), 3, "[{name}] {rows:?}");
        assert_eq!(
            rows[0],
            [
                roster::FINANCE,
                "4",
                "3",
                "2",
                "1",
                "1",
                "1",
                "66.7%",
                "50.0%"
            ],
            "[{name}]"
        );
        assert_eq!(rows[2][0], "合计");
        assert_eq!(rows[2][7], "60.0%");
    }
}

/// The rows of a workbook with these columns, read with the platform's reader.
fn workbook(bytes: &[u8], cols: &[(&'static str, &'static str)]) -> Vec<Vec<String>> {
    let columns: Vec<ColumnSpec> = cols
        .iter()
        .map(|(k, h)| ColumnSpec::new(k, h, true))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("导出.xlsx");
    std::fs::write(&path, bytes).unwrap();
    TableReader::open(&path, &columns)
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect()
}

#[test]
fn the_checks_page_shows_words_and_takes_feedback_through_its_form() {
    for b in backends("sanction_pages") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let (uscc, town_name) = town(store);
        p.active_record(
            json!({"subject_name": town_name, "uscc": uscc}),
            "津滨财〔2026〕44号",
            "2026-01-05",
        );
        let (_, v) = p.check(Who::Provider, &uscc, "honour", 2026);
        let honour = no(&v);
        let (_, v) = p.check(Who::Provider, &uscc, "funding", 2026);
        let funding = no(&v);
        assert_eq!(v["decision"], "allowed", "[{name}] {v}");
        let (_, v) = p.check(Who::Court, &uscc, "honour", 2026);
        let court = no(&v);

        // The department's page: its checks, in words, a form on the restricted one.
        let (status, page) = p.get("/console/sanctions/checks", Who::ProviderSession);
        assert_eq!(status, StatusCode::OK, "[{name}] {page}");
        for text in [
            "信用核查反馈",
            honour.as_str(),
            funding.as_str(),
            &town_name,
            "荣誉评选",
            "财政资金支持",
            "class=\"tag bad\">限制<",
            ">无限制<",
            "取消荣誉评选资格",
            "<span class=\"state\">待反馈</span>",
            "<span class=\"note\">无需反馈</span>",
            "提交反馈",
        ] {
            assert!(page.contains(text), "[{name}] {text} missing");
        }
        assert!(
            !page.contains(&court),
            "[{name}] another department's check"
        );
        assert_eq!(
            page.matches("/feedback\" class=\"feedback\"").count(),
            1,
            "[{name}] one form, on the restricted check"
        );
        assert!(page.contains(&format!("/console/sanctions/checks/{honour}/feedback")));
        assert_words_only(name, &page);
        // The nav leads there.
        let (_, console) = p.get("/console", Who::ProviderSession);
        assert!(
            console.contains("href=\"/console/sanctions/checks\""),
            "[{name}]"
        );

        // Filters.
        let (_, page) = p.get(
            "/console/sanctions/checks?decision=restricted&purpose=honour&feedback=pending",
            Who::ProviderSession,
        );
        assert!(
            page.contains(&honour) && !page.contains(&funding),
            "[{name}]"
        );
        let (_, page) = p.get(
            "/console/sanctions/checks?feedback=not_needed",
            Who::ProviderSession,
        );
        assert!(
            !page.contains(&honour) && page.contains(&funding),
            "[{name}]"
        );

        // The form: a missing reason is shown beside it, nothing kept.
        let before = everything(&p);
        let path = format!("/console/sanctions/checks/{honour}/feedback");
        let (status, _, page) = p.form(
            &path,
            Who::ProviderSession,
            &[("applied", "0"), ("reason", " "), ("feedback", "pending")],
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {page}");
        assert!(page.contains("请填写未落实原因"), "[{name}] {page}");
        assert!(
            page.contains("提交反馈"),
            "[{name}] the form is shown again"
        );
        let (status, _, page) = p.form(&path, Who::ProviderSession, &[("reason", "x")]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(page.contains("请选择落实情况"), "[{name}]");
        // Without the session's CSRF token: refused.
        let (status, _, _) = p.form(&path, Who::ProviderSession, &[("csrf", "forged")]);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");
        // Another department's check: refused.
        let (status, _, page) = p.form(
            &format!("/console/sanctions/checks/{court}/feedback"),
            Who::ProviderSession,
            &[("applied", "1")],
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {page}");
        assert_eq!(everything(&p), before, "[{name}] nothing kept");

        // Given: back to the list as it was filtered, which says so.
        let (status, location, _) = p.form(
            &path,
            Who::ProviderSession,
            &[
                ("applied", "0"),
                ("reason", "评选已结束，未及落实"),
                ("feedback", "pending"),
            ],
        );
        assert_eq!(status, StatusCode::SEE_OTHER, "[{name}]");
        assert_eq!(location, "/console/sanctions/checks?feedback=pending");
        let (_, page) = p.get("/console/sanctions/checks", Who::ProviderSession);
        assert!(
            page.contains("<span class=\"state\">未落实</span>"),
            "[{name}]"
        );
        assert!(page.contains("评选已结束，未及落实"), "[{name}]");
        assert!(!page.contains("提交反馈"), "[{name}] no form left");
        // A second time through the form: the conflict beside the list.
        let (status, _, page) = p.form(&path, Who::ProviderSession, &[("applied", "1")]);
        assert_eq!(status, StatusCode::CONFLICT, "[{name}]");
        assert!(page.contains("只能反馈一次"), "[{name}] {page}");

        // The credit office's page: every department's, with who asked.
        let (_, page) = p.get("/console/sanctions/checks", Who::Office);
        assert!(page.contains("信用核查记录"), "[{name}]");
        assert!(page.contains(&court) && page.contains(&honour), "[{name}]");
        assert!(page.contains(roster::COURT), "[{name}]");
        assert!(page.contains("核查部门"), "[{name}]");
        assert_words_only(name, &page);

        // The workbook: the filtered list, in words.
        let (status, bytes, kind) = p.get_bytes(
            "/console/sanctions/checks.xlsx?purpose=honour",
            Who::ProviderSession,
        );
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(kind.contains("spreadsheetml"), "[{name}] {kind}");
        let rows = workbook(
            &bytes,
            &[
                ("check_no", "核查编号"),
                ("at", "核查时间"),
                ("asker", "核查部门"),
                ("subject", "核查对象"),
                ("purpose", "核查用途"),
                ("year", "年度"),
                ("decision", "核查结论"),
                ("measures", "措施"),
                ("feedback", "反馈状态"),
                ("reason", "未落实原因或落实说明"),
                ("feedback_by", "反馈人"),
                ("feedback_at", "反馈时间"),
            ],
        );
        assert_eq!(rows.len(), 1, "[{name}] {rows:?}");
        let r = &rows[0];
        assert_eq!(r[0], honour);
        assert!(r[2].contains(roster::FINANCE), "[{name}] {r:?}");
        assert_eq!(r[3], town_name);
        assert_eq!((r[4].as_str(), r[6].as_str()), ("荣誉评选", "限制"));
        assert_eq!(r[7], "取消荣誉评选资格");
        assert_eq!(
            (r[8].as_str(), r[9].as_str()),
            ("未落实", "评选已结束，未及落实")
        );
    }
}

/// The measures a public profile answers: (name, record ids).
fn public_measures(p: &Platform, uscc: &str) -> Vec<(String, Vec<i64>)> {
    let (status, v) = p.get_json(&format!("/api/v1/public/subjects/{uscc}"), Who::Office);
    assert_eq!(status, StatusCode::OK, "{v}");
    v["measures"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|m| {
            (
                m["name"].as_str().unwrap().to_string(),
                m["records"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["id"].as_i64().unwrap())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn a_unit_sees_its_measures_and_the_public_only_those_on_public_records() {
    for b in backends("sanction_measures") {
        let name = b.name;
        let store = &b.store;
        let p = Platform::start(store);
        let (uscc, town_name) = town(store);

        // A clean year: the unit reads its reward, resting on no record; the public nothing.
        let (status, page) = p.get("/console/sanctions/measures", Who::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {page}");
        assert!(
            page.contains("优先安排改革试点、项目投资、财政资金支持"),
            "[{name}]"
        );
        assert!(page.contains("年度无政务失信记录"), "[{name}]");
        assert!(page.contains("不涉及具体信用记录"), "[{name}]");
        assert!(!page.contains("取消荣誉评选资格"), "[{name}]");
        assert_words_only(name, &page);
        assert!(public_measures(&p, &uscc).is_empty(), "[{name}]");
        let (_, console) = p.get("/console", Who::Unit);
        assert!(
            console.contains("href=\"/console/sanctions/measures\""),
            "[{name}] the console leads there"
        );

        // A record shared among government only: the unit sees the measure and why; the public
        // profile shows neither.
        let shared = p.active_record_in(
            json!({"subject_name": town_name, "uscc": uscc}),
            "津滨财〔2026〕45号",
            "2026-01-05",
            "shared",
        );
        let (_, page) = p.get("/console/sanctions/measures", Who::Unit);
        for text in [
            "取消荣誉评选资格",
            "单位存在有效的政务失信记录的，当年取消荣誉评选资格",
            "荣誉评选",
            "2026-12-31",
            "津滨财〔2026〕45号",
            "拖欠企业账款",
            "区委组织部、区人力社保局等评选组织部门",
        ] {
            assert!(page.contains(text), "[{name}] {text} missing: {page}");
        }
        assert!(
            page.contains(&format!("/console/records/{shared}")),
            "[{name}]"
        );
        assert!(
            !page.contains("优先安排改革试点"),
            "[{name}] the clean year's reward is gone"
        );
        assert_words_only(name, &page);
        assert!(public_measures(&p, &uscc).is_empty(), "[{name}]");
        let (_, public) = p.get(&format!("/subjects/{uscc}"), Who::Office);
        assert!(!public.contains("取消荣誉评选资格"), "[{name}]");
        assert!(!public.contains("45号"), "[{name}]");

        // A public record: the public sees the measure, resting on that record alone.
        let public_rec = p.active_record(
            json!({"subject_name": town_name, "uscc": uscc}),
            "津滨财〔2026〕46号",
            "2026-02-05",
        );
        assert_eq!(
            public_measures(&p, &uscc),
            [("取消荣誉评选资格".to_string(), vec![public_rec])],
            "[{name}]"
        );
        let (status, public) = p.get(&format!("/subjects/{uscc}"), Who::Office);
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(public.contains("适用的联合奖惩措施"), "[{name}]");
        assert!(public.contains("取消荣誉评选资格"), "[{name}]");
        assert!(
            public.contains(&format!("/records/{public_rec}")),
            "[{name}]"
        );
        assert!(
            !public.contains(&format!("/records/{shared}\"")),
            "[{name}]"
        );
        assert_words_only(name, &public);
        // The unit reads both records behind its measure.
        let (_, page) = p.get("/console/sanctions/measures", Who::Unit);
        assert!(
            page.contains(&format!("/console/records/{shared}")),
            "[{name}]"
        );
        assert!(
            page.contains(&format!("/console/records/{public_rec}")),
            "[{name}]"
        );
        // Only the unit's accounts have the page.
        let (status, _) = p.get("/console/sanctions/measures", Who::ProviderSession);
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}]");

        // Another township, with nothing on file: nothing public either.
        let other = store.find_unit("大沽街道").unwrap().uscc.unwrap();
        assert!(public_measures(&p, &other).is_empty(), "[{name}]");
    }
}
