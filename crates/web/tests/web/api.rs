//! HTTP tests against a real server on a loopback port, on SQLite and (when PROBITY_TEST_PG is
//! set) PostgreSQL: the authorisation table walked route by route and role by role, reach
//! (own records, own file), sessions with CSRF, bad input, and the OpenAPI description.

use std::collections::BTreeSet;
use std::ops::Deref;

use probity_domain::account::AccountRole;
use probity_domain::authz::{self, TABLE};
use probity_store::Store;
use probity_testkit::{Accounts, ActingAs, Options, PASSWORD, Server, backends, roster};
use reqwest::StatusCode;
use serde_json::{Value, json};

const METRICS_TOKEN: &str = "metrics-token-of-the-tests";

/// The server of these tests (on the small roster, `/metrics` open to `METRICS_TOKEN`) and one
/// account per role (`t_<role>`) with the credential it acts with, plus a second provider.
struct Api {
    server: Server,
    accounts: Accounts,
}

impl Deref for Api {
    type Target = Server;
    fn deref(&self) -> &Server {
        &self.server
    }
}

impl Api {
    fn start(store: &Store) -> Api {
        roster::binhai(store);
        // Tokens are for system-to-system roles; the administrative ones log in with a second
        // factor and use a session (and its CSRF token).
        let accounts = Accounts::create(store, "t", &AccountRole::ALL)
            .with_credentials(store, &AccountRole::ALL);
        // A second provider, to prove providers cannot see each other's records.
        store
            .create_account(
                "court_clerk",
                AccountRole::Provider,
                Some(store.find_unit("区法院").unwrap().id),
                PASSWORD,
                "test",
            )
            .unwrap();
        // `/metrics` answers only its token on the main address (hardening.rs).
        let web = probity_web::WebConfig {
            metrics_token: probity_web::metrics::MetricsToken::new(METRICS_TOKEN),
            ..Default::default()
        };
        let server = Server::start_with(
            store,
            Options {
                web,
                ..Default::default()
            },
        );
        Api { server, accounts }
    }

    /// Fresh sessions for the roles that walk with one (after a logout ended them).
    fn renew_sessions(&mut self, store: &Store) {
        self.accounts.renew_sessions(store);
    }

    /// The bearer token of a system-to-system role.
    fn token(&self, role: AccountRole) -> &str {
        self.accounts.token(role)
    }

    /// A request as `role`, or as nobody.
    fn req(
        &self,
        method: &str,
        path: &str,
        role: Option<AccountRole>,
    ) -> reqwest::blocking::RequestBuilder {
        let b = self.server.req(method, path);
        match role {
            Some(r) => b.acting_as(&self.accounts, r),
            None => b,
        }
    }
}

fn record_body(subject: &str, uscc: &str, doc: &str) -> Value {
    json!({
        "subject_name": subject,
        "uscc": uscc,
        "category": "PAYMENT_ARREARS",
        "document_no": doc,
        "decided_on": "2025-06-01",
        "authority": "天津市滨海新区财政局",
        "facts": "逾期未支付中小企业货款",
        "outcome": "责令限期支付",
    })
}

#[test]
fn every_route_and_role_gets_exactly_what_the_table_says() {
    for b in backends("web") {
        let mut s = Api::start(&b.store);
        for rule in TABLE {
            // Logging out ends the sessions the administrative roles walk with: new ones.
            s.renew_sessions(&b.store);
            // Account actions land on a bystander, not on an account the walk logs in with
            // (disabling it or resetting its password would end the walk's own access).
            let id = if rule.path.contains("/accounts/{id}") {
                b.store
                    .account_by_name("court_clerk")
                    .unwrap()
                    .unwrap()
                    .id
                    .to_string()
            } else {
                "1".to_string()
            };
            let path = rule.path.replace("{id}", &id).replace("{code}", "HONOUR");
            let mut roles: Vec<Option<AccountRole>> =
                AccountRole::ALL.into_iter().map(Some).collect();
            roles.push(None);
            for role in roles {
                let res = s
                    .req(rule.method, &path, role)
                    .json(&json!({}))
                    .send()
                    .unwrap();
                let status = res.status();
                let allowed = match role {
                    None => rule.public,
                    Some(r) => authz::reach(rule, r).is_some(),
                };
                // Whatever the body, no route answers with a failure of its own.
                assert!(
                    !status.is_server_error(),
                    "[{}] {} {} as {role:?}: {status}",
                    b.name,
                    rule.method,
                    rule.path
                );
                if allowed {
                    assert!(
                        status != StatusCode::UNAUTHORIZED && status != StatusCode::FORBIDDEN,
                        "[{}] {} {} as {role:?}: {status}",
                        b.name,
                        rule.method,
                        rule.path
                    );
                } else {
                    let want = if role.is_none() {
                        StatusCode::UNAUTHORIZED
                    } else {
                        StatusCode::FORBIDDEN
                    };
                    assert_eq!(
                        status, want,
                        "[{}] {} {} as {role:?}",
                        b.name, rule.method, rule.path
                    );
                    let body: Value = res.json().unwrap();
                    assert!(
                        body["error"]["code"].is_string() && body["error"]["message"].is_string()
                    );
                }
            }
        }
    }
}

#[test]
fn providers_see_their_own_records_and_units_their_own_file() {
    for b in backends("web") {
        let s = Api::start(&b.store);
        let town = b.store.find_unit("新河街道").unwrap();
        let other_town = b.store.find_unit("大沽街道").unwrap();
        let town_uscc = town.uscc.clone().unwrap();
        // The finance bureau (the provider account) reports on both townships.
        let mut ids = Vec::new();
        for (subject, doc) in [
            (&town, "津滨财〔2025〕1号"),
            (&other_town, "津滨财〔2025〕2号"),
        ] {
            let body = record_body(&subject.name, subject.uscc.as_deref().unwrap(), doc);
            let res = s
                .req("POST", "/api/v1/records", Some(AccountRole::Provider))
                .json(&body)
                .send()
                .unwrap();
            assert_eq!(res.status(), StatusCode::CREATED, "[{}]", b.name);
            let v: Value = res.json().unwrap();
            assert_eq!(v["state"], "submitted");
            assert_eq!(v["channel"], "api");
            ids.push(v["id"].as_i64().unwrap());
        }
        // The same again: 200 with the same record, nothing new.
        let again = record_body(&town.name, &town_uscc, "津滨财〔2025〕1号");
        let res = s
            .req("POST", "/api/v1/records", Some(AccountRole::Provider))
            .json(&again)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().unwrap()["id"].as_i64(), Some(ids[0]));

        // The court's clerk (another provider) sees none of them.
        let court = b.store.account_by_name("court_clerk").unwrap().unwrap();
        let (_, court_token) = b.store.issue_token(court.id, "t", "test").unwrap();
        let res = s
            .client
            .get(format!("{}/api/v1/records/{}", s.base, ids[0]))
            .bearer_auth(&court_token)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = s
            .client
            .get(format!("{}/api/v1/records", s.base))
            .bearer_auth(&court_token)
            .send()
            .unwrap();
        assert_eq!(
            res.json::<Value>().unwrap()["items"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        // Nor may it act on them.
        let res = s
            .client
            .post(format!("{}/api/v1/records/{}/submit", s.base, ids[0]))
            .bearer_auth(&court_token)
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // The township sees its own record only once the credit office has decided on it; the
        // other township's stays hidden.
        let list: Value = s
            .req("GET", "/api/v1/records", Some(AccountRole::Unit))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let seen: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert!(
            seen.is_empty(),
            "[{}] under review, not yet in the unit's file: {seen:?}",
            b.name
        );
        let unit_sees = |id: i64| {
            s.req(
                "GET",
                &format!("/api/v1/records/{id}"),
                Some(AccountRole::Unit),
            )
            .send()
            .unwrap()
            .status()
        };
        assert_eq!(unit_sees(ids[0]), StatusCode::NOT_FOUND);
        let res = s
            .req(
                "GET",
                &format!("/api/v1/records/{}", ids[1]),
                Some(AccountRole::Unit),
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        let res = s
            .req(
                "GET",
                &format!("/api/v1/subjects/{}", other_town.id),
                Some(AccountRole::Unit),
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);

        // Only the credit office activates; a send-back needs a reason.
        let path = format!("/api/v1/records/{}/activate", ids[0]);
        let res = s
            .req("POST", &path, Some(AccountRole::Provider))
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = s
            .req("POST", &path, Some(AccountRole::Admin))
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.json::<Value>().unwrap()["state"], "active");
        assert_eq!(
            unit_sees(ids[0]),
            StatusCode::OK,
            "[{}] active: in the unit's file",
            b.name
        );
        let list: Value = s
            .req("GET", "/api/v1/records", Some(AccountRole::Unit))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let seen: Vec<i64> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect();
        assert_eq!(seen, vec![ids[0]], "[{}]", b.name);
        let res = s
            .req("POST", &path, Some(AccountRole::Admin))
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(
            res.status(),
            StatusCode::CONFLICT,
            "activating twice is an illegal transition"
        );
        assert_eq!(
            res.json::<Value>().unwrap()["error"]["code"],
            "ILLEGAL_TRANSITION"
        );
        let res = s
            .req(
                "POST",
                &format!("/api/v1/records/{}/send-back", ids[1]),
                Some(AccountRole::Admin),
            )
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

        // The history shows who did what.
        let hist: Value = s
            .req(
                "GET",
                &format!("/api/v1/records/{}/audit", ids[0]),
                Some(AccountRole::Admin),
            )
            .send()
            .unwrap()
            .json()
            .unwrap();
        let actions: Vec<&str> = hist
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, vec!["submit", "activate"]);
        assert!(b.store.verify().unwrap().problem.is_none());
    }
}

#[test]
fn bad_input_gets_a_code_and_changes_nothing() {
    for b in backends("web") {
        let s = Api::start(&b.store);
        // The token's first use in the hour is journaled (使用接口令牌): used once before the
        // count starts, so that the count sees only what the refused requests would write.
        let first = s
            .req("GET", "/api/v1/records", Some(AccountRole::Provider))
            .send()
            .unwrap();
        assert_eq!(first.status(), StatusCode::OK, "[{}]", b.name);
        let head = b.store.head_seq().unwrap();
        let post = |body: reqwest::blocking::Body, ct: &str| {
            s.req("POST", "/api/v1/records", Some(AccountRole::Provider))
                .header("content-type", ct.to_string())
                .body(body)
        };
        let mut cases: Vec<(reqwest::blocking::RequestBuilder, StatusCode, &str)> = vec![
            (
                post("{not json".into(), "application/json"),
                StatusCode::BAD_REQUEST,
                "JSON_MALFORMED",
            ),
            (
                post(
                    r#"{"subject_name":"x","evil":1}"#.into(),
                    "application/json",
                ),
                StatusCode::BAD_REQUEST,
                "JSON_INVALID",
            ),
            (
                post("subject_name=x".into(), "application/x-www-form-urlencoded"),
                StatusCode::BAD_REQUEST,
                "CONTENT_TYPE",
            ),
            (
                s.req("GET", "/api/v1/records/abc", Some(AccountRole::Admin)),
                StatusCode::BAD_REQUEST,
                "ID_INVALID",
            ),
            (
                s.req(
                    "GET",
                    "/api/v1/records?limit=100000",
                    Some(AccountRole::Admin),
                ),
                StatusCode::BAD_REQUEST,
                "QUERY_INVALID",
            ),
            (
                s.req(
                    "GET",
                    "/api/v1/records?state=火星",
                    Some(AccountRole::Admin),
                ),
                StatusCode::UNPROCESSABLE_ENTITY,
                "UNKNOWN_STATE",
            ),
            (
                s.req("GET", "/api/v1/nowhere", None),
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
            ),
        ];
        // Refused before it is read whole; on a connection of its own, since the server closes it.
        let oversized = reqwest::blocking::Client::new()
            .post(format!("{}/api/v1/records", s.base))
            .acting_as(&s.accounts, AccountRole::Provider)
            .header("content-type", "application/json")
            .body(vec![b'a'; 2 * 1024 * 1024]);
        cases.push((
            oversized,
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
        ));
        for (req, status, code) in cases {
            let res = req.send().unwrap();
            assert_eq!(res.status(), status, "[{}] {code}", b.name);
            let v: Value = res.json().unwrap();
            assert_eq!(v["error"]["code"], code, "[{}] {v}", b.name);
        }
        // A row that breaks domain rules: every fault with its field.
        let mut body = record_body("某单位", "9112011", "doc");
        body["decided_on"] = json!("2024-02-30");
        let res = s
            .req("POST", "/api/v1/records", Some(AccountRole::Provider))
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = res.json().unwrap();
        let fields: BTreeSet<&str> = v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert!(
            fields.contains("decided_on") && fields.contains("uscc"),
            "{v}"
        );
        assert_eq!(
            b.store.head_seq().unwrap(),
            head,
            "[{}] nothing written",
            b.name
        );

        // Issue 10: every problem at once, not in rounds. A bad date (a field error), a
        // well-formed USCC that is not on the roster and a category the finance bureau may not
        // report (what the roster and catalog refuse) come back in one answer.
        let stranger = roster::uscc("MA000099");
        let mut body = record_body("某公司", &stranger, "津滨财〔2025〕轮1号");
        body["decided_on"] = json!("2025-13-02");
        body["category"] = json!("JUDICIAL_JUDGMENT");
        let res = s
            .req("POST", "/api/v1/records", Some(AccountRole::Provider))
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let v: Value = res.json().unwrap();
        let codes: BTreeSet<(&str, &str)> = v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| (f["field"].as_str().unwrap(), f["code"].as_str().unwrap()))
            .collect();
        assert!(
            codes.contains(&("decided_on", "DATE_INVALID")),
            "[{}] {v}",
            b.name
        );
        assert!(
            codes.contains(&("uscc", "SUBJECT_NOT_FOUND")),
            "[{}] {v}",
            b.name
        );
        assert!(
            codes.contains(&("category", "PROVIDER_NOT_ALLOWED")),
            "[{}] {v}",
            b.name
        );
        // Fixing the date alone leaves the other two, together, in the next answer as well.
        body["decided_on"] = json!("2025-06-01");
        let v: Value = s
            .req("POST", "/api/v1/records", Some(AccountRole::Provider))
            .json(&body)
            .send()
            .unwrap()
            .json()
            .unwrap();
        let fields: BTreeSet<&str> = v["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            BTreeSet::from(["category", "uscc"]),
            "[{}] {v}",
            b.name
        );
        assert_eq!(
            b.store.head_seq().unwrap(),
            head,
            "[{}] nothing written",
            b.name
        );
    }
}

#[test]
fn sessions_need_csrf_for_changes_and_end_at_logout() {
    for b in backends("web") {
        let s = Api::start(&b.store);
        let login = json!({ "name": "t_provider", "password": PASSWORD });
        let res = s
            .client
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&login)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{}]", b.name);
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
            "{cookie}"
        );
        let session = cookie.split(';').next().unwrap().to_string();
        let csrf = res.json::<Value>().unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();

        let me: Value = s
            .client
            .get(format!("{}/api/v1/auth/me", s.base))
            .header("cookie", &session)
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(me["name"], "t_provider");

        let town = b.store.find_unit("新河街道").unwrap();
        let body = record_body(
            &town.name,
            town.uscc.as_deref().unwrap(),
            "津滨财〔2025〕9号",
        );
        let url = format!("{}/api/v1/records", s.base);
        let res = s
            .client
            .post(&url)
            .header("cookie", &session)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert_eq!(
            res.json::<Value>().unwrap()["error"]["code"],
            "CSRF_INVALID"
        );
        let res = s
            .client
            .post(&url)
            .header("cookie", &session)
            .header("x-csrf-token", "forged")
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let res = s
            .client
            .post(&url)
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);

        let res = s
            .client
            .post(format!("{}/api/v1/auth/logout", s.base))
            .header("cookie", &session)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let res = s
            .client
            .get(format!("{}/api/v1/auth/me", s.base))
            .header("cookie", &session)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        let bad = json!({ "name": "t_provider", "password": "wrong-password-1" });
        let res = s
            .client
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&bad)
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
        let nobody = json!({ "name": "nobody", "password": "wrong-password-1" });
        let res2 = s
            .client
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&nobody)
            .send()
            .unwrap();
        assert_eq!(res2.status(), StatusCode::UNAUTHORIZED);
        let (a, b2): (Value, Value) = (res.json().unwrap(), res2.json().unwrap());
        assert_eq!(a, b2, "an unknown name and a wrong password look the same");
    }
}

#[test]
fn openapi_describes_every_route_the_table_knows() {
    let b = backends("web").remove(0);
    let s = Api::start(&b.store);
    let spec: Value = s
        .req("GET", "/openapi.json", None)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let paths = spec["paths"].as_object().unwrap();
    let mut described = BTreeSet::new();
    for (path, item) in paths {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                described.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    // HTML pages are not in the OpenAPI description: compare the API and platform routes.
    let table: BTreeSet<(String, String)> = TABLE
        .iter()
        .filter(|r| {
            r.path.starts_with("/api/")
                || matches!(r.path, "/healthz" | "/ping" | "/metrics" | "/openapi.json")
        })
        .map(|r| (r.method.to_string(), r.path.to_string()))
        .collect();
    assert_eq!(
        described, table,
        "the OpenAPI description and the authorisation table list the same API routes"
    );

    // Every route the table lists is served (none answers the router's 404 fallback).
    for rule in TABLE {
        let path = rule
            .path
            .replace("{id}", "1")
            .replace("{code}", "HONOUR")
            .replace("{file}", "HONOUR.xlsx");
        let res = s
            .req(rule.method, &path, Some(AccountRole::Admin))
            .json(&json!({}))
            .send()
            .unwrap();
        if res.status() == StatusCode::NOT_FOUND {
            let v: Value = res.json().unwrap_or_default();
            assert_ne!(
                v["error"]["message"], "没有这个地址",
                "{} {} is not served",
                rule.method, rule.path
            );
        }
    }
    let metrics = s
        .req("GET", "/metrics", None)
        .bearer_auth(METRICS_TOKEN)
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains(
            "probity_http_requests_total{method=\"GET\",route=\"/openapi.json\",status=\"200\"} 2"
        ),
        "{metrics}"
    );
    assert!(metrics.contains("probity_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/records/{id}\"}"), "{metrics}");
}

#[test]
fn uploads_get_the_row_level_report_of_the_cli() {
    for b in backends("web") {
        let s = Api::start(&b.store);
        let town = b.store.find_unit("新河街道").unwrap();
        let header = probity_app::columns::RECORDS
            .iter()
            .map(|c| c.header)
            .collect::<Vec<_>>()
            .join(",");
        let row = |doc: &str, date: &str| {
            format!(
                "{},{},,PAYMENT_ARREARS,{doc},{date},天津市滨海新区财政局,逾期未支付中小企业货款,,责令限期支付,,,",
                town.name,
                town.uscc.as_deref().unwrap()
            )
        };
        let csv = format!(
            "{header}\n{}\n{}\n",
            row("津滨财〔2025〕31号", "2025-05-01"),
            row("津滨财〔2025〕32号", "2024-02-30")
        );
        let url = format!("{}/api/v1/records/import?filename=r.csv", s.base);
        let post = |body: String, role: AccountRole| {
            s.client
                .post(&url)
                .acting_as(&s.accounts, role)
                .header("content-type", "text/csv")
                .body(body)
                .send()
                .unwrap()
        };
        let res = post(csv.clone(), AccountRole::Provider);
        assert_eq!(res.status(), StatusCode::OK, "[{}]", b.name);
        let v: Value = res.json().unwrap();
        assert_eq!(
            (v["accepted"].as_u64(), v["rejected"].as_u64()),
            (Some(1), Some(1)),
            "{v}"
        );
        assert_eq!(v["errors"][0]["row"], 3);
        assert_eq!(v["errors"][0]["header"], "决定日期");
        assert_eq!(v["errors"][0]["code"], "DATE_INVALID");
        // The same file again: nothing new.
        let v: Value = post(csv, AccountRole::Provider).json().unwrap();
        assert_eq!(
            (v["accepted"].as_u64(), v["duplicates"].as_u64()),
            (Some(0), Some(1)),
            "{v}"
        );
        // A provider cannot activate in the same step; the credit office can, naming the provider.
        let res = s
            .client
            .post(format!("{url}&activate=true"))
            .acting_as(&s.accounts, AccountRole::Provider)
            .body("x")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        let good = format!("{header}\n{}\n", row("津滨财〔2025〕33号", "2025-05-02"));
        let res = s
            .client
            .post(format!("{url}&activate=true&provider=区财政局"))
            .acting_as(&s.accounts, AccountRole::Admin)
            .header("content-type", "text/csv")
            .body(good)
            .send()
            .unwrap();
        assert_eq!(res.json::<Value>().unwrap()["accepted"], 1);
        let list: Value = s
            .req(
                "GET",
                "/api/v1/records?document_no=津滨财〔2025〕33号",
                Some(AccountRole::Admin),
            )
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(list["items"][0]["state"], "active");
        let id = list["items"][0]["id"].as_i64().unwrap();
        let one: Value = s
            .req(
                "GET",
                &format!("/api/v1/records/{id}"),
                Some(AccountRole::Admin),
            )
            .send()
            .unwrap()
            .json()
            .unwrap();
        assert_eq!(one["channel"], "api");
        // A file that is not one: a clear code, nothing written.
        let head = b.store.head_seq().unwrap();
        let res = s
            .client
            .post(format!("{url}&format=xlsx"))
            .acting_as(&s.accounts, AccountRole::Provider)
            .body(vec![0x50u8, 0x4b, 3, 4, 0, 0])
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            res.json::<Value>().unwrap()["error"]["code"],
            "XLSX_CORRUPT"
        );
        let res = s
            .client
            .post(format!("{url}&format=pdf"))
            .acting_as(&s.accounts, AccountRole::Provider)
            .body("x")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(b.store.head_seq().unwrap(), head);
        // Declared too large: refused before a byte of the body is read.
        {
            use std::io::{Read, Write};
            let addr = s.base.trim_start_matches("http://");
            let mut tcp = std::net::TcpStream::connect(addr).unwrap();
            write!(
                tcp,
                "POST /api/v1/records/import HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: text/csv\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                s.token(AccountRole::Provider),
                200u64 * 1024 * 1024
            )
            .unwrap();
            let mut answer = String::new();
            let _ = tcp.read_to_string(&mut answer);
            assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
            assert!(answer.contains("PAYLOAD_TOO_LARGE"), "{answer}");
        }
    }
}

#[test]
fn a_password_alone_opens_nothing_for_a_role_that_needs_a_second_factor() {
    for b in backends("web") {
        let s = Api::start(&b.store);
        // A new credit-office account that has not enrolled its authenticator yet.
        b.store
            .create_account("new_admin", AccountRole::Admin, None, PASSWORD, "test")
            .unwrap();
        let res = s
            .client
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&json!({ "name": "new_admin", "password": PASSWORD }))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{}]", b.name);
        let session = res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = res.json::<Value>().unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();
        let get = |path: &str| {
            s.client
                .get(format!("{}{path}", s.base))
                .header("cookie", &session)
                .send()
                .unwrap()
        };
        // It may ask who it is and must enrol; nothing else answers, read or write.
        let me: Value = get("/api/v1/auth/me").json().unwrap();
        assert_eq!(me["name"], "new_admin");
        for path in ["/api/v1/records", "/api/v1/subjects", "/api/v1/audit"] {
            let res = get(path);
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "[{}] {path}", b.name);
            assert_eq!(
                res.json::<Value>().unwrap()["error"]["code"],
                "TOTP_ENROLMENT_REQUIRED"
            );
        }
        let res = s
            .client
            .post(format!("{}/api/v1/records/1/activate", s.base))
            .header("cookie", &session)
            .header("x-csrf-token", &csrf)
            .json(&json!({}))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        // A browser is sent to the enrolment page instead.
        let res = s
            .client
            .get(format!("{}/console/records", s.base))
            .header("cookie", &session)
            .header("accept", "text/html")
            .send()
            .unwrap();
        assert_eq!(res.url().path(), "/console/totp", "[{}]", b.name);
    }
}
