//! A unit disputes its assessment result (考核结果异议) end to end, on SQLite and PostgreSQL, on
//! a server whose clock the test moves: nothing to dispute while the period is open; once the
//! credit office closes the 2026 mid-year check (publication), the township disputes its own
//! result within five working days (never another unit's, never twice at once, never after the
//! fifth working day), from the API and from its result page; the dispute is a case the credit
//! office answers on the case engine: 予以更正 reopens the period with the dispute as the
//! reason, 维持原结果 leaves it closed. Every step is journaled; the dispute reaches nobody else.

use probity_domain::account::AccountRole;
use probity_store::Store;
use probity_testkit::{Accounts, backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::platform::{
    Served, app_on_day, client_without_redirects, empty_index, json_of, request, session, set_noon,
    with_session,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Office,
    /// The finance bureau's provider account: a department assessed as a unit.
    Provider,
    /// 新河街道's account.
    Unit,
    Hr,
}

struct Platform {
    base: String,
    client: reqwest::blocking::Client,
    app: probity_app::App,
    admin: (String, String),
    /// The township's session on the pages (cookie, CSRF).
    unit_session: (String, String),
    provider_token: String,
    unit_token: String,
    hr_token: String,
    _server: Served,
}

impl Platform {
    fn start(store: &Store, today: &str) -> Platform {
        roster::binhai(store);
        let roles = [
            AccountRole::Admin,
            AccountRole::Provider,
            AccountRole::Unit,
            AccountRole::Hr,
        ];
        let accounts = Accounts::create(store, "d", &roles).with_credentials(
            store,
            &[AccountRole::Provider, AccountRole::Unit, AccountRole::Hr],
        );
        let app = app_on_day(store, today);
        let server = Served::start(&app, empty_index());
        let session = |role: AccountRole| session(store, &app, &accounts, role);
        Platform {
            base: server.base.clone(),
            client: client_without_redirects(),
            admin: session(AccountRole::Admin),
            unit_session: session(AccountRole::Unit),
            app,
            provider_token: accounts.token(AccountRole::Provider).to_string(),
            unit_token: accounts.token(AccountRole::Unit).to_string(),
            hr_token: accounts.token(AccountRole::Hr).to_string(),
            _server: server,
        }
    }

    /// The day as the clock reads it at Beijing noon.
    fn set_day(&self, d: &str) {
        set_noon(&self.app, d);
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

    fn dispute(&self, who: Who, unit: i64, body: Value) -> (StatusCode, Value) {
        self.send(
            "POST",
            &format!("/api/v1/assessments/2026/units/{unit}/disputes?period=mid_year"),
            who,
            Some(body),
        )
    }

    fn close(&self) -> (StatusCode, Value) {
        self.send(
            "POST",
            "/api/v1/assessments/2026/close?period=mid_year",
            Who::Office,
            None,
        )
    }

    fn period(&self) -> Value {
        let (status, v) = self.get("/api/v1/assessments/2026?period=mid_year", Who::Hr);
        assert_eq!(status, StatusCode::OK, "{v}");
        v["period"].clone()
    }

    fn answer(&self, case: i64, action: &str, text: &str) -> (StatusCode, Value) {
        self.send(
            "POST",
            &format!("/api/v1/cases/{case}/steps"),
            Who::Office,
            Some(json!({"action": action, "text": text})),
        )
    }

    /// A console page as the township reads it.
    fn unit_page(&self, path: &str) -> (StatusCode, String) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", format!("probity_session={}", self.unit_session.0))
            .send()
            .unwrap();
        (res.status(), res.text().unwrap())
    }

    /// A form posted from the township's console; the answer and where it sends the browser.
    fn unit_post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String, String) {
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf", &self.unit_session.1));
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", format!("probity_session={}", self.unit_session.0))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                form.iter()
                    .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            )
            .send()
            .unwrap();
        let location = res
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_string())
            .unwrap_or_default();
        (res.status(), location, res.text().unwrap())
    }
}

/// A form value, percent-encoded.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

const REASONS: &str = "D5.01 扣分所依据的失信记录已于 6 月经异议撤销，不应计入本期得分。";

#[test]
fn a_unit_disputes_its_result_and_the_credit_office_corrects_or_maintains_it() {
    for b in backends("assessment_disputes") {
        let name = b.name;
        let store = &b.store;
        // Wednesday 1 July 2026: the mid-year check ended yesterday.
        let p = Platform::start(store, "2026-07-01");
        let town = store.find_unit(roster::TOWN).unwrap();
        let other = store.find_unit(roster::OTHER_TOWN).unwrap();
        let good = json!({"indicators": ["D5.01"], "reasons": REASONS});
        let unit_href = format!("/console/assessments/2026/mid_year/units/{}", town.id);

        // Nothing is published while the period is open: no form, and the API refuses.
        let (status, v) = p.dispute(Who::Unit, town.id, good.clone());
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_NOT_CLOSED", "[{name}] {v}");
        let (status, page) = p.unit_page(&unit_href);
        assert_eq!(status, StatusCode::OK, "[{name}] {page}");
        assert!(!page.contains("对结果提出异议"), "[{name}]");

        // The credit office closes it: published on 1 July, disputable until Wed 8 July.
        let (status, v) = p.close();
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let (_, page) = p.unit_page(&unit_href);
        assert!(page.contains("对结果提出异议"), "[{name}] {page}");
        assert!(page.contains("2026-07-08"), "[{name}] the last day shown");
        assert!(page.contains("name=\"ind_D5.01\""), "[{name}]");

        // Only the unit itself: not another unit's result, not the credit office.
        let (status, v) = p.dispute(Who::Unit, other.id, good.clone());
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        let (status, v) = p.dispute(Who::Provider, town.id, good.clone());
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        let (status, v) = p.dispute(Who::Office, town.id, good.clone());
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        // Every problem at once, in Chinese, with stable codes.
        let (status, v) = p.dispute(
            Who::Unit,
            town.id,
            json!({"indicators": ["D9.99"], "reasons": "有误"}),
        );
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");
        let fields: Vec<(&str, &str)> = v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            fields,
            [
                ("indicators", "DISPUTE_INDICATOR_UNKNOWN"),
                ("reasons", "TOO_SHORT")
            ],
            "[{name}] {v}"
        );
        assert!(
            v.to_string()
                .contains("指标 D9.99 不在本期考核的指标体系中")
        );

        // Filed on Tuesday 7 July: a case with the credit office, ten working days to answer.
        p.set_day("2026-07-07");
        let (status, v) = p.dispute(Who::Unit, town.id, good.clone());
        assert_eq!(status, StatusCode::CREATED, "[{name}] {v}");
        let first = v["id"].as_i64().unwrap();
        assert_eq!(v["kind"], "assessment_dispute", "[{name}] {v}");
        assert_eq!(v["kind_label"], "考核结果异议");
        assert_eq!(v["state"], "open");
        assert_eq!(v["holder"], "信用办");
        assert_eq!(v["party"], "applicant");
        assert_eq!(v["deadline"], "2026-07-21", "[{name}] {v}");
        assert_eq!(v["detail"]["period"], "mid_year");
        assert_eq!(v["detail"]["indicators"], json!(["D5.01"]));
        assert_eq!(v["detail"]["published_on"], "2026-07-01");
        assert_eq!(v["detail"]["last_day"], "2026-07-08");
        assert!(
            v["tracking_no"].is_null(),
            "[{name}] nothing for the public"
        );
        assert!(
            v["title"]
                .as_str()
                .unwrap()
                .contains("2026年年中检查考核结果异议"),
            "[{name}] {v}"
        );
        let actions: Vec<&str> = v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["comment", "withdraw"], "[{name}]");
        // One open dispute per unit and period; the page links to it instead of the form.
        let (status, v) = p.dispute(Who::Unit, town.id, good.clone());
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "DISPUTE_EXISTS");
        let (_, page) = p.unit_page(&unit_href);
        assert!(
            page.contains(&format!("/console/cases/{first}")),
            "[{name}] {page}"
        );

        // On the existing case routes: the unit and the credit office, nobody else.
        let (status, v) = p.get("/api/v1/cases?kind=assessment_dispute", Who::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["items"][0]["id"], first, "[{name}] {v}");
        let (status, _) = p.get(&format!("/api/v1/cases/{first}"), Who::Provider);
        assert_eq!(status, StatusCode::NOT_FOUND, "[{name}]");
        let (status, v) = p.get("/api/v1/cases?kind=assessment_dispute", Who::Provider);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["items"], json!([]), "[{name}] {v}");
        let (status, v) = p.get(&format!("/api/v1/cases/{first}"), Who::Office);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let actions: Vec<&str> = v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["code"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["comment", "maintain", "correct"], "[{name}]");
        assert!(v["actions"][1]["needs_text"].as_bool().unwrap());
        // The unit cannot answer its own dispute; an answer owes reasons.
        let (status, v) = p.send(
            "POST",
            &format!("/api/v1/cases/{first}/steps"),
            Who::Unit,
            Some(json!({"action": "correct", "text": "自行更正"})),
        );
        assert_eq!(status, StatusCode::FORBIDDEN, "[{name}] {v}");
        let (status, v) = p.answer(first, "correct", " ");
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {v}");

        // 予以更正: the period reopens with the dispute as its reason, in the same step.
        let (status, v) = p.answer(first, "correct", "经核实，该记录已撤销，D5.01 应重新计算");
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["state"], "closed", "[{name}] {v}");
        assert_eq!(v["outcome"], "corrected");
        assert_eq!(v["outcome_label"], "予以更正");
        let period = p.period();
        assert_eq!(period["state"], "open", "[{name}] {period}");
        let because = period["reopened_because"].as_str().unwrap_or("");
        assert!(
            because.contains(&format!("考核结果异议（案件 {first}）予以更正"))
                && because.contains("D5.01 应重新计算"),
            "[{name}] {period}"
        );
        // While it is open again there is nothing to dispute.
        let (status, v) = p.dispute(Who::Unit, town.id, good.clone());
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "PERIOD_NOT_CLOSED");

        // Closed again on Thursday 9 July: published anew, disputable until Thu 16 July. The
        // township disputes from its page, on the last day.
        p.set_day("2026-07-09");
        let (status, v) = p.close();
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        p.set_day("2026-07-16");
        let (_, page) = p.unit_page(&unit_href);
        assert!(page.contains("2026-07-16"), "[{name}] {page}");
        let action = format!("{unit_href}/disputes");
        let (status, _, body) = p.unit_post(&action, &[("reasons", "有误")]);
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {body}");
        assert!(body.contains("请选择有异议的指标"), "[{name}] {body}");
        assert!(body.contains("异议理由过短"), "[{name}] {body}");
        let (status, location, body) = p.unit_post(
            &action,
            &[
                ("ind_D1.01", "1"),
                (
                    "reasons",
                    "D1.01 的评分未采纳本单位提交的制度文件，请复核。",
                ),
            ],
        );
        assert_eq!(status, StatusCode::SEE_OTHER, "[{name}] {body}");
        let second: i64 = location
            .strip_prefix("/console/cases/")
            .unwrap_or_else(|| panic!("[{name}] {location}"))
            .parse()
            .unwrap();
        assert_ne!(second, first);
        let (status, page) = p.unit_page(&location);
        assert_eq!(status, StatusCode::OK, "[{name}]");
        assert!(page.contains("考核结果异议"), "[{name}] {page}");
        assert!(page.contains("有异议的指标：D1.01"), "[{name}] {page}");

        // 维持原结果: the case closes with the reasons, the period stays closed.
        let (status, v) = p.answer(second, "maintain", "经复核，D1.01 评分依据充分，维持原结果");
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        assert_eq!(v["outcome"], "maintained", "[{name}] {v}");
        assert_eq!(v["outcome_label"], "维持原结果");
        assert_eq!(p.period()["state"], "closed", "[{name}]");
        // The township hears of both answers.
        let (status, v) = p.get("/api/v1/notifications", Who::Unit);
        assert_eq!(status, StatusCode::OK, "[{name}] {v}");
        let text = v.to_string();
        assert!(
            text.contains("予以更正") && text.contains("维持原结果"),
            "[{name}] {v}"
        );

        // The day after the fifth working day: refused, and no form.
        p.set_day("2026-07-17");
        let (status, v) = p.dispute(Who::Unit, town.id, good.clone());
        assert_eq!(status, StatusCode::CONFLICT, "[{name}] {v}");
        assert_eq!(code(&v), "DISPUTE_WINDOW_CLOSED", "[{name}] {v}");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("2026-07-16 前"),
            "[{name}] {v}"
        );
        let (_, page) = p.unit_page(&unit_href);
        assert!(!page.contains("name=\"ind_D5.01\""), "[{name}]");
        assert_eq!(
            p.unit_post(&action, &[("ind_D5.01", "1"), ("reasons", REASONS)])
                .0,
            StatusCode::CONFLICT,
            "[{name}]"
        );

        // Journaled: each case opened and answered, the period reopened with the dispute.
        let journal = store.journal_page(0, 2_000).unwrap();
        let case_steps = journal
            .iter()
            .filter(|e| {
                e.entity == "case"
                    && (e.entity_id == first.to_string() || e.entity_id == second.to_string())
            })
            .count();
        assert_eq!(case_steps, 4, "[{name}]");
        assert!(
            journal.iter().any(|e| e.entity == "assessment"
                && e.action == "reopen_period"
                && e.detail.contains(&format!("案件 {first}"))),
            "[{name}]"
        );
    }
}
