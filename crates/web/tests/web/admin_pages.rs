//! The administrators' pages (三员分立) against a real server on a loopback port, on SQLite and
//! (when PROBITY_TEST_PG is set) PostgreSQL: the system administrator issues tokens only to the
//! system-to-system roles and sees each one once, on the answer to the form, never in a cookie;
//! the security administrator changes roles from prefilled forms; the auditor pages the journal.

use probity_domain::account::AccountRole;
use probity_store::Store;
use probity_testkit::browser::between;
use probity_testkit::{Accounts, Options, PASSWORD, Server, backends, roster};
use reqwest::StatusCode;
use reqwest::header;

/// Rows on one page of a console list (`pages::PAGE_SIZE`).
const PAGE_SIZE: i64 = 50;

/// A server on a loopback port, on the small roster, with one account per role (`a_<role>`), the
/// administrative ones enrolled in TOTP.
fn start(store: &Store) -> (Server, Accounts) {
    start_with(store, probity_web::WebConfig::default())
}

fn start_with(store: &Store, web: probity_web::WebConfig) -> (Server, Accounts) {
    roster::binhai(store);
    let accounts = Accounts::create(store, "a", &AccountRole::ALL);
    let options = Options {
        web,
        ..Default::default()
    };
    (Server::start_with(store, options), accounts)
}

#[test]
fn a_token_is_issued_by_its_holder_and_shown_once() {
    for b in backends("admin_tokens") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let provider = acc.account(&b.store, AccountRole::Provider);
        let mut sys = s.browser_as(&acc, AccountRole::Sysadmin);

        // The system administrator issues no token (finding 2): no form, no route, nothing
        // written.
        let head = b.store.head_seq().unwrap();
        let a = sys.get("/console/accounts");
        assert_eq!(a.status, StatusCode::OK, "[{name}] {}", a.body);
        assert!(!a.body.contains("/tokens\""), "[{name}] no issuing form");
        let p = sys.post(
            &format!("/console/accounts/{}/tokens", provider.id),
            &[("csrf", &a.csrf()), ("label", "绕过")],
        );
        assert!(
            p.status == StatusCode::NOT_FOUND || p.status == StatusCode::METHOD_NOT_ALLOWED,
            "[{name}] {}",
            p.status
        );
        let p = sys.get("/console/tokens");
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}]");
        assert!(b.store.tokens(None).unwrap().is_empty());
        assert_eq!(
            b.store.head_seq().unwrap(),
            head + 1,
            "[{name}] nothing written but the refusal's journal entry"
        );

        // The holder issues its own: in the body of this answer, which no cache keeps, and in
        // no cookie (not even hex-encoded, as the flash message is).
        let mut holder = s.browser_as(&acc, AccountRole::Provider);
        let page = holder.get("/console/tokens");
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        assert!(page.body.contains("尚未签发接口令牌"));
        let p = holder.post(
            "/console/tokens",
            &[("csrf", &page.csrf()), ("label", "财政局报送系统")],
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
        assert!(p.body.contains("令牌只在本页显示这一次") && p.body.contains("财政局报送系统"));
        for c in p.set_cookies() {
            assert!(
                !c.contains(&token) && !c.contains(&hex::encode(&token)) && !c.contains("pbt_"),
                "{c}"
            );
        }
        assert_eq!(
            b.store
                .token_account(&token, chrono::Utc::now())
                .unwrap()
                .map(|a| a.id),
            Some(provider.id),
            "the token shown is the token issued"
        );
        let entry = b
            .store
            .history(probity_domain::audit::Entity::ApiToken, "1")
            .unwrap();
        assert_eq!(
            entry[0].actor, "provider:a_provider",
            "journaled as its holder"
        );
        let again = holder.get("/console/tokens");
        assert!(
            !again.body.contains(&token) && !again.body.contains("pbt_"),
            "never shown again"
        );
        assert!(again.body.contains("财政局报送系统"), "listed by its label");
        // The system administrator sees it listed and may revoke it; the holder may too.
        let list = sys.get("/console/accounts");
        assert!(
            list.body.contains("财政局报送系统") && list.body.contains("/console/tokens/1/revoke")
        );
        let p = holder.post("/console/tokens/1/revoke", &[("csrf", &again.csrf())]);
        assert_eq!(p.location(), "/console/tokens");
        assert!(
            b.store
                .token_account(&token, chrono::Utc::now())
                .unwrap()
                .is_none()
        );

        // Roles that log in with a second factor hold no token: the page is not theirs.
        for role in [
            AccountRole::Admin,
            AccountRole::Secadmin,
            AccountRole::Auditor,
        ] {
            let mut other = s.browser_as(&acc, role);
            assert_eq!(
                other.get("/console/tokens").status,
                StatusCode::FORBIDDEN,
                "[{name}] {role:?}"
            );
        }
        // Another holder cannot revoke this one's tokens.
        let p = holder.post(
            "/console/tokens",
            &[("csrf", &again.csrf()), ("label", "第二个")],
        );
        assert_eq!(p.status, StatusCode::OK);
        let mut unit = s.browser_as(&acc, AccountRole::Unit);
        let upage = unit.get("/console/tokens");
        let p = unit.post("/console/tokens/2/revoke", &[("csrf", &upage.csrf())]);
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}] {}", p.body);
        assert!(
            b.store.tokens(Some(provider.id)).unwrap()[1]
                .revoked_at
                .is_none()
        );
    }
}

#[test]
fn account_forms_and_the_journal_pager() {
    for b in backends("admin_forms") {
        let (s, acc) = start(&b.store);
        let name = b.name;

        // New account: a name only; no role (the security administrator grants one) and a
        // one-time password on the answer, once.
        let mut sys = s.browser_as(&acc, AccountRole::Sysadmin);
        let a = sys.get("/console/accounts");
        assert!(
            a.body.contains("新建账号") && !a.body.contains("name=\"password\""),
            "[{name}] {}",
            a.body
        );
        assert!(
            !a.body.contains("设置角色"),
            "the system administrator assigns no role"
        );
        // A refused form keeps what was typed and names every problem at once, each beside
        // its field; nothing is written.
        let head = b.store.head_seq().unwrap();
        let p = sys.post(
            "/console/accounts",
            &[
                ("csrf", &a.csrf()),
                ("name", "x"),
                ("real_name", "张"),
                ("phone", "022-123"),
                ("email", "zhang@binhai"),
            ],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        for (field, says) in [
            ("name", "账号名长度"),
            ("real_name", "姓名应为"),
            ("phone", "联系电话应为"),
            ("email", "邮箱格式不正确"),
        ] {
            let shown = between(&p.body, &format!("id=\"err-{field}\">"), "</span>")
                .unwrap_or_else(|| panic!("[{name}] no problem beside {field}: {}", p.body));
            assert!(shown.contains(says), "[{name}] {field}: {shown}");
        }
        assert!(
            p.body.contains("value=\"张\"")
                && p.body.contains("value=\"022-123\"")
                && p.body.contains("value=\"zhang@binhai\""),
            "[{name}] what was typed stays"
        );
        assert_eq!(
            b.store.head_seq().unwrap(),
            head,
            "[{name}] nothing written"
        );
        // A name already taken is the name field's problem, with the rest kept.
        let p = sys.post(
            "/console/accounts",
            &[
                ("csrf", &a.csrf()),
                ("name", "A_SECADMIN"),
                ("real_name", "李四"),
                ("phone", "022-23456789"),
            ],
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(
            between(&p.body, "id=\"err-name\">", "</span>").is_some_and(|e| e.contains("已被使用")),
            "[{name}] {}",
            p.body
        );
        let p = sys.post(
            "/console/accounts",
            &[
                ("csrf", &a.csrf()),
                ("name", "new_clerk"),
                ("real_name", "王小明"),
                ("phone", "138 1234 5678"),
                ("email", " Wang.XM@Binhai.GOV.cn "),
            ],
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert_eq!(
            p.headers
                .get(header::CACHE_CONTROL)
                .map(|v| v.to_str().unwrap()),
            Some("no-store")
        );
        let otp = between(
            &p.body,
            "<code id=\"issued-password\" class=\"wrap\">",
            "</code>",
        )
        .expect("shown");
        assert_eq!(otp.chars().count(), 16);
        let clerk = b.store.account_by_name("new_clerk").unwrap().unwrap();
        assert_eq!(clerk.role, AccountRole::Unassigned);
        assert!(clerk.password_change_required);
        assert_eq!(
            (
                clerk.real_name.as_str(),
                clerk.phone.as_str(),
                clerk.email.as_str()
            ),
            ("王小明", "13812345678", "Wang.XM@binhai.gov.cn")
        );
        let row = between(&p.body, "<td>new_clerk</td>", "</tr>").unwrap();
        assert!(
            row.contains("<td>王小明</td><td>13812345678</td><td>Wang.XM@binhai.gov.cn</td>")
                && row.contains("待修改初始密码"),
            "{row}"
        );

        // The holder's contact is edited on its own form, with every problem at once, and the
        // journal names the fields changed, never the values.
        let edit = format!("/console/accounts/{}/contact", clerk.id);
        let f = sys.get(&edit);
        assert_eq!(f.status, StatusCode::OK, "[{name}] {}", f.body);
        assert!(f.body.contains("value=\"王小明\""), "{}", f.body);
        assert!(
            f.body.contains("value=\"Wang.XM@binhai.gov.cn\""),
            "{}",
            f.body
        );
        let p = sys.post(
            &edit,
            &[("csrf", &f.csrf()), ("real_name", ""), ("phone", "x")],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(
            p.body.contains("请填写姓名") && p.body.contains("联系电话应为"),
            "{}",
            p.body
        );
        // A bad address alone is refused beside its field, and nothing changes.
        let head = b.store.head_seq().unwrap();
        let p = sys.post(
            &edit,
            &[
                ("csrf", &f.csrf()),
                ("real_name", "王小明"),
                ("phone", "13812345678"),
                ("email", "wang@@binhai.gov.cn"),
            ],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        let shown = between(&p.body, "id=\"err-email\">", "</span>").unwrap_or_default();
        assert!(shown.contains("邮箱格式不正确"), "[{name}] {}", p.body);
        assert_eq!(
            b.store.head_seq().unwrap(),
            head,
            "[{name}] nothing written"
        );
        assert_eq!(
            b.store.account(clerk.id).unwrap().email,
            "Wang.XM@binhai.gov.cn"
        );
        let p = sys.post(
            &edit,
            &[
                ("csrf", &f.csrf()),
                ("real_name", "王晓明"),
                ("phone", "022 2345 6789"),
                ("email", ""),
            ],
        );
        assert!(
            sys.follow(&p).body.contains("已更新账号“new_clerk”的信息"),
            "[{name}]"
        );
        let clerk = b.store.account(clerk.id).unwrap();
        assert_eq!(
            (
                clerk.real_name.as_str(),
                clerk.phone.as_str(),
                clerk.email.as_str()
            ),
            ("王晓明", "022-23456789", ""),
            "[{name}] a blank address: no mail"
        );
        let last = b
            .store
            .history(
                probity_domain::audit::Entity::Account,
                &clerk.id.to_string(),
            )
            .unwrap()
            .pop()
            .unwrap();
        assert_eq!(last.action, "update");
        assert!(
            last.detail.contains("real_name")
                && last.detail.contains("email")
                && !last.detail.contains("23456789")
                && !last.detail.contains("binhai.gov.cn"),
            "{}",
            last.detail
        );
        assert_eq!(b.store.verify().unwrap().problem, None, "[{name}] audited");
        // The three's contact is the operator's to edit: the form says why not.
        let sec_id = b.store.account_by_name("a_secadmin").unwrap().unwrap().id;
        let f = sys.get(&format!("/console/accounts/{sec_id}/contact"));
        assert_eq!(f.status, StatusCode::FORBIDDEN, "[{name}]");
        assert!(f.body.contains("三员分立"), "{}", f.body);

        // The list filters by words, role and standing, and exports what it shows.
        let l = sys.get("/console/accounts?q=%E7%8E%8B%E6%99%93&standing=password_change");
        assert!(
            l.body.contains("<td>new_clerk</td>") && !l.body.contains("<td>a_secadmin</td>"),
            "[{name}] {}",
            l.body
        );
        assert!(l.body.contains("共 1 个账号"), "{}", l.body);
        let l = sys.get("/console/accounts?role=secadmin");
        assert!(
            !l.body.contains("<td>new_clerk</td>") && l.body.contains("<td>a_secadmin</td>"),
            "[{name}]"
        );
        assert_eq!(
            sys.get("/console/accounts?standing=odd").status,
            StatusCode::BAD_REQUEST
        );
        let res = sys
            .request(reqwest::Method::GET, "/console/accounts.xlsx?q=new_clerk")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let rows =
            crate::pages::sheet(&res.bytes().unwrap(), &["账号", "姓名", "联系电话", "状态"]);
        assert_eq!(
            rows,
            [["new_clerk", "王晓明", "022-23456789", "待修改初始密码"]],
            "[{name}]"
        );
        // The three's accounts are the operator's: no button for them.
        let list = sys.get("/console/accounts");
        let row = between(&list.body, "<td>a_secadmin</td>", "</tr>").unwrap();
        assert!(
            row.contains("三员账号由运维人员在服务器命令行管理") && !row.contains("停用"),
            "{row}"
        );

        // Role change: the unit comes prefilled, so a unit-bound role keeps its unit without
        // retyping it, and a role without a unit ignores it.
        let mut sec = s.browser_as(&acc, AccountRole::Secadmin);
        let page = sec.get("/console/accounts");
        // The role form offers no administrative role (the list's filter above names them all).
        let table = &page.body[page.body.find("<table>").unwrap()..];
        for adm in ["sysadmin", "secadmin", "auditor"] {
            assert!(
                !table.contains(&format!("<option value=\"{adm}\"")),
                "{adm}"
            );
        }
        // Nor a form for its own account or the other administrators'.
        for adm in [AccountRole::Secadmin, AccountRole::Sysadmin] {
            let id = acc.account(&b.store, adm).id;
            assert!(
                !page
                    .body
                    .contains(&format!("action=\"/console/accounts/{id}/role\"")),
                "{adm:?}"
            );
        }
        let finance = b.store.find_unit("区财政局").unwrap();
        let p = sec.post(
            &format!("/console/accounts/{}/role", clerk.id),
            &[
                ("csrf", &page.csrf()),
                ("role", "provider"),
                ("unit", "区财政局"),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let page = sec.get("/console/accounts");
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
        // An administrative role, sent by hand, is refused with the rule's reason (finding 1).
        let head = b.store.head_seq().unwrap();
        for (target, role) in [
            (clerk.id, "auditor"),
            (acc.account(&b.store, AccountRole::Secadmin).id, "admin"),
        ] {
            let p = sec.post(
                &format!("/console/accounts/{target}/role"),
                &[("csrf", &page.csrf()), ("role", role), ("unit", "")],
            );
            assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}] {role}");
            assert!(p.body.contains("三员分立"), "{}", p.body);
        }
        assert_eq!(b.store.head_seq().unwrap(), head, "refusals write nothing");

        // The system administrator: reset password (one-time, shown once), disable, enable,
        // unlock; each journaled by it.
        let page = sys.get("/console/accounts");
        let p = sys.post(
            &format!("/console/accounts/{}/reset-password", clerk.id),
            &[("csrf", &page.csrf())],
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body.contains("账号“new_clerk”的一次性密码") && p.body.contains("已回到待授权"),
            "{}",
            p.body
        );
        assert_eq!(
            b.store.account(clerk.id).unwrap().role,
            AccountRole::Unassigned
        );
        let p = sys.post(
            &format!("/console/accounts/{}/disable", clerk.id),
            &[("csrf", &page.csrf())],
        );
        assert!(sys.follow(&p).body.contains("已停用账号：账号“new_clerk”"));
        assert!(b.store.account(clerk.id).unwrap().disabled);
        let p = sys.post(
            &format!("/console/accounts/{}/enable", clerk.id),
            &[("csrf", &page.csrf())],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert!(!b.store.account(clerk.id).unwrap().disabled);
        let actions: Vec<(String, String)> = b
            .store
            .history(
                probity_domain::audit::Entity::Account,
                &clerk.id.to_string(),
            )
            .unwrap()
            .into_iter()
            .map(|e| (e.actor, e.action))
            .collect();
        for act in ["create", "reset_password", "disable", "enable"] {
            assert!(
                actions.contains(&("sysadmin:a_sysadmin".into(), act.into())),
                "{act}: {actions:?}"
            );
        }
        assert!(
            actions.contains(&("secadmin:a_secadmin".into(), "set_role".into())),
            "{actions:?}"
        );
        // The security administrator resets a lost authenticator (the credit office's).
        let admin = acc.account(&b.store, AccountRole::Admin);
        let page = sec.get("/console/accounts");
        let p = sec.post(
            &format!("/console/accounts/{}/reset-totp", admin.id),
            &[("csrf", &page.csrf())],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(b.store.account(admin.id).unwrap().totp_pending);

        // The journal (issue 10): newest first, a page at a time, an 更早的记录 link only when
        // more entries follow, filters, and an Excel export of the filtered view.
        for i in 0..(PAGE_SIZE + 2) {
            b.store.set_disabled(clerk.id, i % 2 == 0, "test").unwrap();
        }
        let head = b.store.head_seq().unwrap();
        let mut auditor = s.browser_as(&acc, AccountRole::Auditor);
        let p = auditor.get("/console/audit");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert_eq!(p.body.matches("<tr><td>").count(), PAGE_SIZE as usize);
        let first = between(&p.body, "<tbody><tr><td>", "</td>").unwrap();
        assert_eq!(first, head.to_string(), "[{name}] the newest first");
        let next = between(&p.body, "<p class=\"pager\"><a href=\"", "\"").unwrap();
        assert_eq!(next, format!("?before={}", head - PAGE_SIZE + 1));
        let p = auditor.get(&format!("/console/audit{next}"));
        let first = between(&p.body, "<tbody><tr><td>", "</td>").unwrap();
        assert_eq!(first, (head - PAGE_SIZE).to_string());
        // Who did what, to which account, in Chinese.
        assert!(
            p.body.contains("停用") || p.body.contains("启用"),
            "[{name}]"
        );

        // Filtered: the clerk's disablements, counted here from the account's own history.
        let disables = b
            .store
            .history(
                probity_domain::audit::Entity::Account,
                &clerk.id.to_string(),
            )
            .unwrap()
            .iter()
            .filter(|e| e.action == "disable")
            .count();
        assert!(disables > (PAGE_SIZE / 2) as usize);
        let filter = format!("action=disable&entity=account&entity_id={}", clerk.id);
        let p = auditor.get(&format!("/console/audit?{filter}"));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        let rows = p.body.matches("<tr><td>").count();
        assert_eq!(rows, disables.min(PAGE_SIZE as usize), "[{name}]");
        assert_eq!(
            p.body.matches("<td>停用</td>").count(),
            rows,
            "[{name}] {}",
            p.body
        );
        // A bad date is refused in Chinese, and says which.
        let p = auditor.get("/console/audit?from=2026-13-02&to=2026-01-01");
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{name}]");
        assert!(p.body.contains("起始日期"), "[{name}] {}", p.body);
        // Today's entries only, by the Beijing date; tomorrow has none.
        let today = probity_app::today();
        let p = auditor.get(&format!("/console/audit?{filter}&from={today}&to={today}"));
        assert_eq!(p.body.matches("<tr><td>").count(), rows, "[{name}]");
        let tomorrow = today.succ_opt().unwrap();
        let p = auditor.get(&format!("/console/audit?{filter}&from={tomorrow}"));
        assert!(p.body.contains("没有符合条件的记录"), "[{name}]");

        // The export: the filtered view, every entry, Chinese names beside their codes.
        let res = auditor
            .request(
                reqwest::Method::GET,
                &format!("/console/audit.xlsx?{filter}"),
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.xlsx");
        std::fs::write(&path, res.bytes().unwrap()).unwrap();
        const COLS: &[probity_ingest::ColumnSpec] = &[
            probity_ingest::ColumnSpec {
                key: "seq",
                header: "序号",
                required: true,
                aliases: &[],
            },
            probity_ingest::ColumnSpec {
                key: "action",
                header: "操作",
                required: true,
                aliases: &[],
            },
            probity_ingest::ColumnSpec {
                key: "code",
                header: "操作代码",
                required: true,
                aliases: &[],
            },
        ];
        let rows: Vec<_> = probity_ingest::TableReader::open(&path, COLS)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(
            rows.len(),
            disables,
            "[{name}] the export is not cut to a page"
        );
        assert!(
            rows.iter()
                .all(|r| r.cells[1] == "停用" && r.cells[2] == "disable")
        );
    }
}

/// A JSON client with the session of `a_<role>` (cookie and CSRF header).
fn api_client(
    s: &Server,
    acc: &Accounts,
    store: &Store,
    role: AccountRole,
) -> (reqwest::blocking::Client, String, String, String) {
    let session = acc.session(store, role);
    (
        reqwest::blocking::Client::new(),
        s.base.clone(),
        format!("probity_session={}", session.token),
        session.csrf,
    )
}

fn api(
    c: &(reqwest::blocking::Client, String, String, String),
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> (StatusCode, serde_json::Value) {
    let res =
        c.0.request(method, format!("{}{path}", c.1))
            .header(header::COOKIE, &c.2)
            .header("x-csrf-token", &c.3)
            .json(&body)
            .send()
            .unwrap();
    let status = res.status();
    (status, res.json().unwrap_or(serde_json::Value::Null))
}

/// Findings 1 and 2 of the security review, replayed through the API exactly as reported.
#[test]
fn the_three_administrators_stay_separate_through_the_api() {
    for b in backends("admin_api_duties") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let sec = acc.account(&b.store, AccountRole::Secadmin);
        let head = b.store.head_seq().unwrap();
        // 1. PUT /api/v1/accounts/{own id}/role {"role":"admin"} as secadmin.
        let c = api_client(&s, &acc, &b.store, AccountRole::Secadmin);
        let (st, body) = api(
            &c,
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{}/role", sec.id),
            serde_json::json!({"role": "admin"}),
        );
        assert_eq!(st, StatusCode::FORBIDDEN, "[{name}] {body}");
        assert_eq!(body["error"]["code"], "DUTY_SEPARATION");
        assert_eq!(b.store.account(sec.id).unwrap().role, AccountRole::Secadmin);
        // Nor the auditor made a provider, nor a provider made an auditor.
        for (target, role) in [
            (AccountRole::Auditor, "provider"),
            (AccountRole::Provider, "auditor"),
        ] {
            let id = acc.account(&b.store, target).id;
            let (st, body) = api(
                &c,
                reqwest::Method::PUT,
                &format!("/api/v1/accounts/{id}/role"),
                serde_json::json!({"role": role, "unit": "区财政局"}),
            );
            assert_eq!(st, StatusCode::FORBIDDEN, "[{name}] {target:?} {body}");
        }
        // 2. POST /api/v1/accounts with a role as sysadmin: the API takes no role any more.
        let c = api_client(&s, &acc, &b.store, AccountRole::Sysadmin);
        for role in ["admin", "provider", "secadmin"] {
            let (st, body) = api(
                &c,
                reqwest::Method::POST,
                "/api/v1/accounts",
                serde_json::json!({"name": format!("made_{role}"), "role": role, "password": PASSWORD}),
            );
            assert_eq!(st, StatusCode::BAD_REQUEST, "[{name}] {role} {body}");
        }
        assert_eq!(
            b.store.head_seq().unwrap(),
            head,
            "[{name}] refusals write nothing"
        );
        // Who holds it is asked for, every missing field named at once.
        let (st, body) = api(
            &c,
            reqwest::Method::POST,
            "/api/v1/accounts",
            serde_json::json!({"name": "made_by_sys"}),
        );
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {body}");
        let fields: Vec<&str> = body["error"]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["real_name", "phone"], "[{name}] {body}");
        // A bad address is named with its field.
        let (st, body) = api(
            &c,
            reqwest::Method::POST,
            "/api/v1/accounts",
            serde_json::json!({"name": "made_by_sys", "real_name": "赵六", "phone": "15900001111", "email": "zhao liu@binhai.gov.cn"}),
        );
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "[{name}] {body}");
        assert_eq!(body["error"]["code"], "EMAIL_INVALID", "[{name}] {body}");
        assert_eq!(
            body["error"]["fields"][0]["field"], "email",
            "[{name}] {body}"
        );
        // What the system administrator creates waits for a role, with a one-time password.
        let (st, body) = api(
            &c,
            reqwest::Method::POST,
            "/api/v1/accounts",
            serde_json::json!({"name": "made_by_sys", "real_name": "赵六", "phone": "15900001111", "email": "zhao.liu@binhai.gov.cn"}),
        );
        assert_eq!(st, StatusCode::CREATED, "[{name}] {body}");
        assert_eq!(body["account"]["role"], "unassigned");
        assert_eq!(body["account"]["real_name"], "赵六");
        assert_eq!(body["account"]["email"], "zhao.liu@binhai.gov.cn");
        // Its contact changed through the API without an address keeps the address.
        let made = body["account"]["id"].as_i64().unwrap();
        let (st, put) = api(
            &c,
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{made}/contact"),
            serde_json::json!({"real_name": "赵六", "phone": "15900002222"}),
        );
        assert_eq!(st, StatusCode::OK, "[{name}] {put}");
        assert_eq!(
            (put["phone"].as_str(), put["email"].as_str()),
            (Some("15900002222"), Some("zhao.liu@binhai.gov.cn"))
        );
        assert_eq!(body["account"]["password_change_required"], true);
        let otp = body["one_time_password"].as_str().unwrap().to_string();
        // The one-time password logs in, and opens nothing but its own change.
        let client = reqwest::blocking::Client::new();
        let login = client
            .post(format!("{}/api/v1/auth/login", s.base))
            .json(&serde_json::json!({"name": "made_by_sys", "password": otp}))
            .send()
            .unwrap();
        assert_eq!(login.status(), StatusCode::OK);
        let cookie = login.headers()[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let login: serde_json::Value = login.json().unwrap();
        let csrf = login["csrf_token"].as_str().unwrap().to_string();
        let me = (client.clone(), s.base.clone(), cookie, csrf);
        for path in ["/api/v1/records", "/api/v1/subjects", "/api/v1/accounts"] {
            let (st, body) = api(&me, reqwest::Method::GET, path, serde_json::Value::Null);
            assert_eq!(st, StatusCode::FORBIDDEN, "[{name}] {path}");
            assert_eq!(body["error"]["code"], "PASSWORD_CHANGE_REQUIRED", "{body}");
        }
        let (st, body) = api(
            &me,
            reqwest::Method::POST,
            "/api/v1/auth/password",
            serde_json::json!({"current": "wrong-Pass#1234", "new": "Fresh#Pass2026"}),
        );
        assert_eq!(
            (st, body["error"]["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("PASSWORD_WRONG"))
        );
        let (st, body) = api(
            &me,
            reqwest::Method::POST,
            "/api/v1/auth/password",
            serde_json::json!({"current": otp, "new": "Fresh#Pass2026"}),
        );
        assert_eq!(st, StatusCode::OK, "[{name}] {body}");
        assert_eq!(body["account"]["password_change_required"], false);
        // A role is the security administrator's to grant.
        let created = b.store.account_by_name("made_by_sys").unwrap().unwrap();
        let c = api_client(&s, &acc, &b.store, AccountRole::Secadmin);
        let (st, body) = api(
            &c,
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{}/role", created.id),
            serde_json::json!({"role": "provider", "unit": "区财政局"}),
        );
        assert_eq!(st, StatusCode::OK, "[{name}] {body}");
        // The system administrator resets, disables, unlocks through the API too.
        let c = api_client(&s, &acc, &b.store, AccountRole::Sysadmin);
        let (st, body) = api(
            &c,
            reqwest::Method::POST,
            &format!("/api/v1/accounts/{}/reset-password", created.id),
            serde_json::Value::Null,
        );
        assert_eq!(st, StatusCode::OK, "[{name}] {body}");
        assert_eq!(
            body["one_time_password"]
                .as_str()
                .map(|p| p.chars().count()),
            Some(16)
        );
        assert_eq!(
            body["account"]["role"], "unassigned",
            "the role waits for the security administrator"
        );
        for action in ["disable", "enable", "unlock"] {
            let (st, body) = api(
                &c,
                reqwest::Method::POST,
                &format!("/api/v1/accounts/{}/{action}", created.id),
                serde_json::Value::Null,
            );
            assert_eq!(st, StatusCode::OK, "[{name}] {action} {body}");
        }
        let (st, body) = api(
            &c,
            reqwest::Method::POST,
            &format!(
                "/api/v1/accounts/{}/disable",
                acc.account(&b.store, AccountRole::Auditor).id
            ),
            serde_json::Value::Null,
        );
        assert_eq!(
            (st, body["error"]["code"].as_str()),
            (StatusCode::FORBIDDEN, Some("DUTY_SEPARATION"))
        );
    }
}

/// A one-time password in the browser: the password page first, enrolment only after it.
#[test]
fn a_one_time_password_is_changed_before_anything_else() {
    for b in backends("admin_otp_pages") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let (clerk, otp) = b
            .store
            .create_account_one_time(
                "credit.clerk",
                AccountRole::Unassigned,
                None,
                &acc.account(&b.store, AccountRole::Sysadmin),
            )
            .unwrap();
        b.store
            .set_role(
                clerk.id,
                AccountRole::Admin,
                None,
                &acc.account(&b.store, AccountRole::Secadmin),
            )
            .unwrap();
        let mut br = s.browser();
        let login = br.get("/login");
        let csrf = between(&login.body, "name=\"csrf\" value=\"", "\"").unwrap();
        let p = br.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "credit.clerk"),
                ("password", &otp),
                ("next", "/console"),
            ],
        );
        assert_eq!(p.location(), "/console/password", "[{name}] {}", p.body);
        // Enrolment (whose secret whoever set the password could otherwise scan) and the rest
        // wait.
        for path in ["/console/totp", "/console", "/console/review"] {
            let p = br.get(path);
            assert_eq!(
                (p.status, p.location().as_str()),
                (StatusCode::SEE_OTHER, "/console/password"),
                "[{name}] {path}"
            );
        }
        let page = br.get("/console/password");
        assert!(page.body.contains("一次性密码"), "{}", page.body);
        // Every problem at once.
        let p = br.post(
            "/console/password",
            &[
                ("csrf", &page.csrf()),
                ("current", ""),
                ("new", "short"),
                ("confirm", "other"),
            ],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("请填写原密码")
                && p.body.contains("两次输入的新密码不一致")
                && p.body.contains("密码强度不足"),
            "{}",
            p.body
        );
        let p = br.post(
            "/console/password",
            &[
                ("csrf", &page.csrf()),
                ("current", &otp),
                ("new", "Fresh#Pass2026"),
                ("confirm", "Fresh#Pass2026"),
            ],
        );
        assert_eq!(p.location(), "/console/totp", "[{name}] {}", p.body);
        let p = br.get("/console/totp");
        assert_eq!(p.status, StatusCode::OK, "[{name}] the holder enrols now");
        assert!(p.body.contains("totp-secret"));
        // Issue 10: a QR code of the otpauth address for the app to scan, beside the secret.
        assert!(
            p.body.contains("aria-label=\"动态口令绑定二维码\"") && p.body.contains("<svg"),
            "[{name}] {}",
            p.body
        );
    }
}

/// Finding 10: a stranger cannot lock the credit office out, and a locked name, a wrong
/// password and an unknown name are answered alike.
#[test]
fn a_stranger_cannot_lock_an_account_out() {
    for b in backends("admin_lockout") {
        let config = probity_web::WebConfig {
            trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            login_per_minute: 1000,
            ..Default::default()
        };
        let (s, _) = start_with(&b.store, config);
        let name = b.name;
        let client = reqwest::blocking::Client::new();
        let login = |from: &str, who: &str, pw: &str| {
            let res = client
                .post(format!("{}/api/v1/auth/login", s.base))
                .header("x-forwarded-for", from)
                .json(&serde_json::json!({"name": who, "password": pw}))
                .send()
                .unwrap();
            let status = res.status();
            (status, res.json::<serde_json::Value>().unwrap_or_default())
        };
        let stranger = "203.0.113.7";
        for _ in 0..6 {
            let (st, _) = login(stranger, "a_provider", "Wrong#Pass1234");
            assert_eq!(st, StatusCode::UNAUTHORIZED);
        }
        let locked = login(stranger, "a_provider", PASSWORD);
        let unknown = login(stranger, "no.such.account", PASSWORD);
        let wrong = login("198.51.100.9", "a_provider", "Wrong#Pass1234");
        assert_eq!(locked.0, StatusCode::UNAUTHORIZED, "[{name}] {}", locked.1);
        assert_eq!(
            locked, unknown,
            "[{name}] a locked name answers as an unknown one"
        );
        assert_eq!(locked, wrong, "[{name}] and as a wrong password");
        // The holder, at its own desk, logs in.
        let (st, body) = login("198.51.100.10", "a_provider", PASSWORD);
        assert_eq!(st, StatusCode::OK, "[{name}] {body}");
    }
}

/// The journal (审计日志) tells the auditor who came in and who tried what: each login, each
/// failed login with its reason (a known account, or a name no account has), each logout, the
/// first use of a token in an hour and every refusal by role, all in Chinese.
#[test]
fn the_journal_records_logins_logouts_token_use_and_refusals() {
    for b in backends("journal_access") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let acc = acc.with_credentials(&b.store, &[AccountRole::Provider]);
        let provider = acc.name(AccountRole::Provider);

        // A wrong password, a name no account has, then a login and a logout.
        let mut anon = s.browser();
        let bad = anon.log_in(&provider, "not-the-password");
        assert_ne!(bad.status, StatusCode::SEE_OTHER, "[{name}]");
        anon.log_in("nobody_here", "whatever-it-is");
        let mut p = s.browser();
        let home = p.log_in(&provider, probity_testkit::PASSWORD);
        assert_eq!(home.status, StatusCode::SEE_OTHER, "[{name}] {}", home.body);
        // A provider may not read the journal: refused, and the refusal is journaled.
        let refused = p.get("/console/audit");
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "[{name}]");
        let console = p.get("/console");
        let out = p.post("/logout", &[("csrf", &console.csrf())]);
        assert_eq!(out.status, StatusCode::SEE_OTHER, "[{name}] {}", out.body);

        // Two calls with the provider's token in the same hour: one entry.
        for _ in 0..2 {
            let r = s
                .req("GET", "/api/v1/records")
                .bearer_auth(acc.token(AccountRole::Provider))
                .send()
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "[{name}]");
        }

        let mut auditor = s.browser_as(&acc, AccountRole::Auditor);
        let rows = |a: &mut probity_testkit::browser::Browser, action: &str| -> Vec<String> {
            let page = a.get(&format!("/console/audit?action={action}"));
            assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
            let body = between(&page.body, "<tbody>", "</tbody>").unwrap_or_default();
            body.split("<tr>").skip(1).map(str::to_string).collect()
        };
        let failed = rows(&mut auditor, "login_failed");
        assert_eq!(failed.len(), 2, "[{name}] {failed:?}");
        assert!(
            failed[0].contains("账号不存在") && failed[0].contains("账号：nobody_here"),
            "[{name}] newest first: {}",
            failed[0]
        );
        assert!(
            failed[1].contains("密码错误")
                && failed[1].contains("登录失败")
                && failed[1].contains(&format!("账号：{provider}")),
            "[{name}] {}",
            failed[1]
        );
        let provider_id = acc.account(&b.store, AccountRole::Provider).id;
        assert!(
            failed[1].contains(&format!(
                "/console/audit?entity=account&#38;entity_id={provider_id}"
            )),
            "[{name}] the account's own history is a link away: {}",
            failed[1]
        );
        let logins = rows(&mut auditor, "login");
        assert!(
            logins
                .iter()
                .any(|r| r.contains(&provider) && r.contains("报送单位")),
            "[{name}] {logins:?}"
        );
        let logouts = rows(&mut auditor, "logout");
        assert_eq!(logouts.len(), 1, "[{name}] {logouts:?}");
        assert!(logouts[0].contains(&provider), "[{name}]");
        let refusals = rows(&mut auditor, "refused");
        assert_eq!(refusals.len(), 1, "[{name}] {refusals:?}");
        assert!(
            refusals[0].contains("越权访问被拒绝")
                && refusals[0].contains("访问地址：/console/audit")
                && refusals[0].contains(&provider),
            "[{name}] {}",
            refusals[0]
        );
        let uses = rows(&mut auditor, "use_token");
        assert_eq!(uses.len(), 1, "[{name}] {uses:?}");
        assert!(uses[0].contains("使用接口令牌"), "[{name}]");

        // Nothing of this breaks the chain.
        assert!(b.store.verify().unwrap().problem.is_none(), "[{name}]");
    }
}

/// The credit office registers one subject from a form and edits it, each save journaled; a
/// bad USCC is refused beside its field with what was typed kept, and nothing is written.
#[test]
fn the_credit_office_registers_and_edits_one_subject() {
    for b in backends("roster_form") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let list = admin.get("/console/subjects");
        assert!(
            list.body.contains("href=\"/console/subjects/new\""),
            "[{name}]"
        );
        let form = admin.get("/console/subjects/new");
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(
            form.body.contains("<datalist id=\"roster-units\">"),
            "[{name}]"
        );
        let csrf = form.csrf();
        let good = probity_testkit::roster::uscc("WB000009");
        let mut bad = good.clone();
        bad.pop();
        bad.push(if good.ends_with('0') { '1' } else { '0' });
        let before = b.store.subject_count().unwrap();
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("name", "天津市滨海新区审计局"),
            ("short_name", "区审计局"),
            ("kind", "部门"),
            ("uscc", bad.as_str()),
            ("parent", "区政府"),
        ];
        let p = admin.post("/console/subjects/new", &fields);
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("id=\"err-uscc\"") && p.body.contains("value=\"区审计局\""),
            "[{name}] {}",
            p.body
        );
        assert_eq!(
            b.store.subject_count().unwrap(),
            before,
            "[{name}] nothing written"
        );

        fields[4] = ("uscc", good.as_str());
        let p = admin.post("/console/subjects/new", &fields);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let unit = b.store.find_unit("区审计局").unwrap();
        assert_eq!(p.location(), format!("/console/subjects/{}", unit.id));
        let page = admin.follow(&p);
        assert!(
            page.body.contains("已登记主体：天津市滨海新区审计局")
                && page
                    .body
                    .contains(&format!("/console/subjects/{}/edit", unit.id)),
            "[{name}] {}",
            page.body
        );

        // Edit: the short name changes, the USCC stays.
        let edit = admin.get(&format!("/console/subjects/{}/edit", unit.id));
        assert!(
            edit.body.contains(&good) && edit.body.contains("value=\"区政府\""),
            "[{name}] {}",
            edit.body
        );
        let p = admin.post(
            &format!("/console/subjects/{}/edit", unit.id),
            &[
                ("csrf", &edit.csrf()),
                ("name", "天津市滨海新区审计局"),
                ("short_name", "审计局"),
                ("kind", "部门"),
                ("parent", "区政府"),
                ("uscc", "ignored"),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let after = b.store.subject(unit.id).unwrap();
        assert_eq!(after.short_name.as_deref(), Some("审计局"), "[{name}]");
        assert_eq!(after.uscc, Some(good.clone()), "[{name}]");
        assert_eq!(b.store.subject_count().unwrap(), before + 1, "[{name}]");
        assert_eq!(b.store.verify().unwrap().problem, None, "[{name}]");
    }
}
