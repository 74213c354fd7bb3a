//! The administrators' pages (三员分立) against a real server on a loopback port, on SQLite and
//! (when PROBITY_TEST_PG is set) PostgreSQL: the system administrator issues tokens only to the
//! system-to-system roles and sees each one once, on the answer to the form, never in a cookie;
//! the security administrator changes roles from prefilled forms; the auditor pages the journal.

mod common;
use common::backends;

use probity_domain::account::AccountRole;
use probity_domain::subject::RosterRow;
use probity_store::Store;
use reqwest::StatusCode;
use reqwest::blocking::Response;
use reqwest::header::{self, HeaderMap};

const PASSWORD: &str = "Binhai-2026-pass";
/// Rows on one page of a console list (`pages::PAGE_SIZE`).
const PAGE_SIZE: i64 = 50;

fn uscc(body: &str) -> String {
    probity_domain::ident::Uscc::from_parts('1', '1', "120116", body)
        .unwrap()
        .as_str()
        .to_string()
}

fn roster(store: &Store) {
    let rows = [
        ("天津市滨海新区人民政府", "区政府", "区政府", "WB000001", ""),
        (
            "天津市滨海新区财政局",
            "区财政局",
            "部门",
            "WB000003",
            "区政府",
        ),
        (
            "天津市滨海新区新河街道办事处",
            "新河街道",
            "街镇",
            "WB000004",
            "区政府",
        ),
    ];
    let subjects = rows
        .iter()
        .enumerate()
        .map(|(i, (name, short, kind, body, parent))| {
            let r = RosterRow {
                name: name.to_string(),
                short_name: short.to_string(),
                kind: kind.to_string(),
                uscc: uscc(body),
                parent: parent.to_string(),
                ..Default::default()
            };
            (i + 2, r.validate(false).unwrap())
        })
        .collect();
    let report = store.import_roster(subjects, "test").unwrap();
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);
}

fn totp_code(secret: &str) -> String {
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_skew(1)
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate_current()
        .to_string()
}

/// A server on a loopback port with one account per role (`a_<role>`), the administrative ones
/// enrolled in TOTP. The server runs on a thread of its own with its own runtime, so the store
/// (and a PostgreSQL client inside it) is never used from this test's thread inside a runtime.
struct Server {
    base: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    fn start(store: &Store) -> Server {
        roster(store);
        let unit_of = |short: &str| store.find_unit(short).unwrap().id;
        for role in AccountRole::ALL {
            let unit = match role {
                AccountRole::Provider => Some(unit_of("区财政局")),
                AccountRole::Unit => Some(unit_of("新河街道")),
                _ => None,
            };
            let a = store
                .create_account(&format!("a_{}", role.code()), role, unit, PASSWORD, "test")
                .unwrap();
            if role.requires_totp() {
                let e = store.begin_totp(a.id).unwrap();
                store
                    .confirm_totp(a.id, &totp_code(&e.secret_base32), chrono::Utc::now())
                    .unwrap();
            }
        }
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let store = store.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Runtime::new().unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                probity_web::serve(store, probity_web::WebConfig::default(), listener, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
        });
        Server {
            base,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// A browser logged in as `a_<role>` with a session made by the store (the administrators
    /// used their one-time code at enrolment).
    fn session(&self, store: &Store, role: AccountRole) -> Browser {
        let a = account(store, role);
        let s = store
            .create_session(a.id, chrono::Duration::hours(1), chrono::Utc::now())
            .unwrap();
        Browser {
            base: self.base.clone(),
            client: reqwest::blocking::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: vec![("probity_session".into(), s.token)],
        }
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

fn account(store: &Store, role: AccountRole) -> probity_store::Account {
    store
        .account_by_name(&format!("a_{}", role.code()))
        .unwrap()
        .unwrap()
}

/// A browser without JavaScript: keeps cookies, follows nothing by itself.
struct Browser {
    base: String,
    client: reqwest::blocking::Client,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default()
    }

    fn csrf(&self) -> String {
        between(&self.body, "name=\"csrf\" value=\"", "\"").unwrap_or_default()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect()
    }
}

fn between(s: &str, start: &str, end: &str) -> Option<String> {
    let i = s.find(start)? + start.len();
    let j = s[i..].find(end)? + i;
    Some(s[i..j].to_string())
}

fn urlencode(form: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    form.iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Browser {
    fn take(&mut self, res: Response) -> Page {
        let status = res.status();
        let headers = res.headers().clone();
        for c in headers.get_all(header::SET_COOKIE) {
            let c = c.to_str().unwrap();
            let (kv, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != k);
            if !c.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        Page {
            status,
            headers,
            body: res.text().unwrap_or_default(),
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::blocking::RequestBuilder {
        let cookies = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        self.client
            .request(method, format!("{}{path}", self.base))
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::COOKIE, cookies)
    }

    fn get(&mut self, path: &str) -> Page {
        let res = self.request(reqwest::Method::GET, path).send().unwrap();
        self.take(res)
    }

    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let res = self
            .request(reqwest::Method::POST, path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(urlencode(form))
            .send()
            .unwrap();
        self.take(res)
    }

    /// Follows a 303 and returns the page it leads to.
    fn follow(&mut self, p: &Page) -> Page {
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let to = p.location();
        self.get(&to)
    }
}

#[test]
fn a_token_is_shown_once_on_the_answer_and_only_for_system_roles() {
    for b in backends("admin_tokens") {
        let s = Server::start(&b.store);
        let name = b.name;
        let provider = account(&b.store, AccountRole::Provider);
        let mut sys = s.session(&b.store, AccountRole::Sysadmin);

        // The page offers tokens only where they may be issued.
        let a = sys.get("/console/accounts");
        assert_eq!(a.status, StatusCode::OK, "[{name}] {}", a.body);
        for role in AccountRole::ALL {
            let id = account(&b.store, role).id;
            let form = format!("action=\"/console/accounts/{id}/tokens\"");
            assert_eq!(
                a.body.contains(&form),
                !role.requires_totp(),
                "[{name}] {role:?}"
            );
        }
        assert!(a.body.contains("须用动态口令登录，不签发接口令牌"));

        // Issued: the token is in the body of this answer, which no cache keeps, and in no
        // cookie (not even hex-encoded, as the flash message is).
        let p = sys.post(
            &format!("/console/accounts/{}/tokens", provider.id),
            &[("csrf", &a.csrf()), ("label", "财政局报送系统")],
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert_eq!(
            p.headers
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        let token = between(
            &p.body,
            "<code id=\"issued-token\" class=\"wrap\">",
            "</code>",
        )
        .expect("the token is on the page");
        assert!(token.starts_with("pbt_") && token.len() == 68, "{token}");
        assert_eq!(p.body.matches(&token).count(), 1, "shown once");
        assert!(
            p.body.contains("令牌只在本页显示这一次")
                && p.body
                    .contains("已为账号“a_provider”（报送单位）签发接口令牌")
                && p.body.contains("财政局报送系统")
                && p.body.contains("href=\"/console/accounts\""),
            "{}",
            p.body
        );
        for c in p.set_cookies() {
            assert!(
                !c.contains(&token) && !c.contains(&hex::encode(&token)) && !c.contains("pbt_"),
                "{c}"
            );
        }
        assert!(
            !sys.cookies
                .iter()
                .any(|(_, v)| v.contains(&hex::encode("pbt_"))),
            "{:?}",
            sys.cookies
        );
        assert_eq!(
            b.store
                .token_account(&token, chrono::Utc::now())
                .unwrap()
                .map(|a| a.id),
            Some(provider.id),
            "the token shown is the token issued"
        );
        let again = sys.get("/console/accounts");
        assert!(
            !again.body.contains(&token) && !again.body.contains("pbt_"),
            "never shown again"
        );
        assert!(again.body.contains("财政局报送系统"), "listed by its label");

        // Refused for the credit office and the administrators: the reason on the accounts
        // page, nothing written.
        let head = b.store.head_seq().unwrap();
        for role in [
            AccountRole::Admin,
            AccountRole::Sysadmin,
            AccountRole::Secadmin,
            AccountRole::Auditor,
        ] {
            let target = account(&b.store, role);
            let p = sys.post(
                &format!("/console/accounts/{}/tokens", target.id),
                &[("csrf", &again.csrf()), ("label", "绕过")],
            );
            assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}] {role:?}");
            let error = between(&p.body, "<p class=\"error\" role=\"alert\">", "</p>")
                .unwrap_or_else(|| panic!("an error on the page: {}", p.body));
            assert!(
                error.contains(&format!("账号“{}”是{}账号", target.name, role.label()))
                    && error.contains("不能签发接口令牌"),
                "{error}"
            );
            assert!(!p.body.contains("pbt_"), "{}", p.body);
            assert!(p.body.contains("新建账号"), "the accounts page, to go on");
            assert!(b.store.tokens(Some(target.id)).unwrap().is_empty());
        }
        assert_eq!(
            b.store.head_seq().unwrap(),
            head,
            "[{name}] nothing journaled"
        );

        // An unknown account is a 404, not an error on the accounts page.
        let p = sys.post(
            "/console/accounts/99999/tokens",
            &[("csrf", &again.csrf()), ("label", "x")],
        );
        assert_eq!(p.status, StatusCode::NOT_FOUND);
    }
}

#[test]
fn account_forms_and_the_journal_pager() {
    for b in backends("admin_forms") {
        let s = Server::start(&b.store);
        let name = b.name;

        // New account: the role must be chosen; the unit hint names the roles as they are called.
        let mut sys = s.session(&b.store, AccountRole::Sysadmin);
        let a = sys.get("/console/accounts");
        assert!(
            a.body.contains(
                "<select name=\"role\" required><option value=\"\" selected>请选择角色</option>"
            ),
            "[{name}] {}",
            a.body
        );
        assert!(a.body.contains("被评价单位") && !a.body.contains("被考核单位"));
        let p = sys.post(
            "/console/accounts",
            &[
                ("csrf", &a.csrf()),
                ("name", "no_role"),
                ("role", ""),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(
            p.body
                .contains("<p class=\"error\" role=\"alert\">请选择角色</p>"),
            "{}",
            p.body
        );
        assert!(b.store.account_by_name("no_role").unwrap().is_none());
        let p = sys.post(
            "/console/accounts",
            &[
                ("csrf", &a.csrf()),
                ("name", "new_clerk"),
                ("role", "provider"),
                ("unit", "区财政局"),
                ("password", PASSWORD),
            ],
        );
        assert!(sys.follow(&p).body.contains("已创建账号“new_clerk”"));
        let clerk = b.store.account_by_name("new_clerk").unwrap().unwrap();

        // Role change: the unit comes prefilled, so a unit-bound role keeps its unit without
        // retyping it, and a role without a unit ignores it.
        let mut sec = s.session(&b.store, AccountRole::Secadmin);
        let page = sec.get("/console/accounts");
        let finance = b.store.find_unit("区财政局").unwrap();
        let form = between(
            &page.body,
            &format!("action=\"/console/accounts/{}/role\"", clerk.id),
            "</form>",
        )
        .unwrap();
        let unit = between(&form, "<input name=\"unit\" value=\"", "\"").unwrap();
        assert_eq!(unit, finance.uscc.clone().unwrap(), "{form}");
        let p = sec.post(
            &format!("/console/accounts/{}/role", clerk.id),
            &[("csrf", &page.csrf()), ("role", "unit"), ("unit", &unit)],
        );
        assert!(
            sec.follow(&p)
                .body
                .contains("已将账号“new_clerk”的角色设为被评价单位"),
            "[{name}]"
        );
        let now = b.store.account(clerk.id).unwrap();
        assert_eq!(
            (now.role, now.unit_id),
            (AccountRole::Unit, Some(finance.id))
        );
        let p = sec.post(
            &format!("/console/accounts/{}/role", clerk.id),
            &[("csrf", &page.csrf()), ("role", "hr"), ("unit", &unit)],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let now = b.store.account(clerk.id).unwrap();
        assert_eq!((now.role, now.unit_id), (AccountRole::Hr, None));
        // A unit-bound role without a unit is refused on the page.
        let p = sec.post(
            &format!("/console/accounts/{}/role", clerk.id),
            &[("csrf", &page.csrf()), ("role", "provider"), ("unit", "")],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("必须绑定主体名录中的单位"), "{}", p.body);

        // The journal pager: a next link only when another entry follows.
        for i in 0..(PAGE_SIZE + 2) {
            b.store.set_disabled(clerk.id, i % 2 == 0, "test").unwrap();
        }
        let head = b.store.head_seq().unwrap();
        let mut auditor = s.session(&b.store, AccountRole::Auditor);
        let p = auditor.get(&format!("/console/audit?after={}", head - PAGE_SIZE));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert_eq!(p.body.matches("<tr><td>").count(), PAGE_SIZE as usize);
        assert!(
            !p.body.contains("下一页"),
            "a full last page has no next link"
        );
        let p = auditor.get(&format!("/console/audit?after={}", head - PAGE_SIZE - 1));
        assert_eq!(p.body.matches("<tr><td>").count(), PAGE_SIZE as usize);
        let next = between(&p.body, "<p class=\"pager\"><a href=\"", "\"").unwrap();
        assert_eq!(next, format!("?after={}", head - 1));
        let p = auditor.get(&format!("/console/audit{next}"));
        assert_eq!(p.body.matches("<tr><td>").count(), 1);
        assert!(!p.body.contains("下一页"));
    }
}
