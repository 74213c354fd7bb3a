//! The Chinese pages against a real server on a loopback port, on SQLite and (when
//! PROBITY_TEST_PG is set) PostgreSQL, driven as a browser without JavaScript drives them: HTML
//! forms, cookies, redirects followed by hand so that each step can be checked.

use probity_domain::account::AccountRole;
use probity_domain::authz::TABLE;
use probity_store::Store;
use probity_testkit::browser::between;
use probity_testkit::roster::{OTHER_TOWN, TOWN, uscc};
use probity_testkit::{Accounts, Options, PASSWORD, Server, backends, enrol, roster, totp_code};
use reqwest::StatusCode;
use reqwest::header;

const UPLOAD_LIMIT: u64 = 256 * 1024;

/// A server on a loopback port, on the small roster, with one account per role (`p_<role>`;
/// administrative ones enrolled in TOTP, except the security administrator, who enrols through
/// the page).
fn start(store: &Store) -> (Server, Accounts) {
    roster::binhai(store);
    let accounts =
        Accounts::create_unenrolled(store, "p", &AccountRole::ALL, &[AccountRole::Secadmin]);
    let pages = probity_web::PagesConfig {
        upload_limit: UPLOAD_LIMIT,
        upload_dir: None,
        ..Default::default()
    };
    let options = Options {
        pages,
        ..Default::default()
    };
    (Server::start_with(store, options), accounts)
}

const HEADER: &str =
    "主体名称,统一社会信用代码,记录类别,决定文书号,决定日期,决定机关,失信事实,处理结果";

#[test]
fn pages_work_end_to_end() {
    for b in backends("pages") {
        let started = std::time::Instant::now();
        let (s, acc) = start(&b.store);
        let name = b.name;

        // --- Login ----------------------------------------------------------------------------
        let mut anon = s.browser();
        let p = anon.get("/console/records");
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}]");
        assert_eq!(p.location(), "/login?next=%2Fconsole%2Frecords");
        let login = anon.get("/login?next=%2Fconsole%2Frecords");
        assert_eq!(login.status, StatusCode::OK);
        assert!(login.body.contains("政务诚信信息平台") && login.body.contains("登录"));
        let csrf = login.csrf();
        let p = anon.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "p_provider"),
                ("password", "wrong-password-1"),
                ("next", "/console/records"),
            ],
        );
        assert_eq!(p.status, StatusCode::UNAUTHORIZED, "[{name}]");
        let error = between(&p.body, "<p class=\"error\" role=\"alert\">", "</p>").unwrap();
        assert!(
            !error.is_ascii() && error.contains("密码"),
            "a Chinese error: {error}"
        );
        assert!(p.body.contains("value=\"p_provider\""), "the name is kept");
        let csrf = p.csrf();
        let p = anon.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "p_provider"),
                ("password", PASSWORD),
                ("next", "/console/records"),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert_eq!(p.location(), "/console/records");
        let set = p
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("probity_session="))
            .unwrap();
        assert!(
            set.contains("HttpOnly") && set.contains("SameSite=Strict"),
            "{set}"
        );
        let mut provider = anon;
        let p = provider.get("/console");
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.body.contains("p_provider") && p.body.contains("报送单位"),
            "{}",
            p.body
        );

        // --- A forbidden page is a Chinese HTML 403 -------------------------------------------
        let p = provider.get("/console/review");
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(p.body.contains("无权"), "{}", p.body);

        // --- One record through the form: an inline error, then fixed -------------------------
        let town_uscc = b.store.find_unit("新河街道").unwrap().uscc.unwrap();
        let form_page = provider.get("/console/records/new");
        assert_eq!(form_page.status, StatusCode::OK);
        assert!(form_page.body.contains("<select name=\"category\""));
        let csrf = form_page.csrf();
        let facts = "逾期未支付<script>alert(1)</script>中小企业货款";
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("subject_name", TOWN),
            ("uscc", town_uscc.as_str()),
            ("category", "PAYMENT_ARREARS"),
            ("document_no", "津滨财〔2025〕11号"),
            ("decided_on", "2025-13-45"),
            ("authority", "天津市滨海新区财政局"),
            ("facts", facts),
            ("outcome", "责令限期支付"),
            ("action", "submit"),
        ];
        let p = provider.post("/console/records/new", &fields);
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("id=\"err-decided_on\""), "{}", p.body);
        assert!(p.body.contains("津滨财〔2025〕11号"), "values are kept");
        assert!(
            p.body.contains("&#60;script&#62;"),
            "kept values are escaped"
        );
        assert!(!p.body.contains("<script>alert"));
        fields[5] = ("decided_on", "2025-06-01");
        let p = provider.post("/console/records/new", &fields);
        let loc = p.location();
        let record_id: i64 = loc.trim_start_matches("/console/records/").parse().unwrap();
        let p = provider.follow(&p);
        assert!(
            p.body.contains(&format!("已报送记录 #{record_id}")),
            "{}",
            p.body
        );
        assert!(
            p.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "HTML in record text is escaped"
        );
        assert!(!p.body.contains("<script>alert"));
        assert!(p.body.contains("待审核"));
        // The flash is said once.
        let again = provider.get(&loc);
        assert!(!again.body.contains("已报送记录"));
        // --- Correction (更正) of the submitted record, on its own page --------------------------
        assert!(
            again
                .body
                .contains(&format!("/console/records/{record_id}/edit"))
        );
        let edit = provider.get(&format!("/console/records/{record_id}/edit"));
        assert_eq!(edit.status, StatusCode::OK, "[{name}]");
        assert!(
            edit.body.contains("津滨财〔2025〕11号") && edit.body.contains(&town_uscc),
            "the form holds the record as stored"
        );
        let csrf = edit.csrf();
        let mut fixed: Vec<(&str, &str)> = fields
            .iter()
            .filter(|(k, _)| *k != "action")
            .copied()
            .collect();
        fixed[0] = ("csrf", csrf.as_str());
        fixed[5] = ("decided_on", "2025-02-30");
        let p = provider.post(&format!("/console/records/{record_id}/edit"), &fixed);
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("id=\"err-decided_on\"") && p.body.contains("保存更正"));
        assert_eq!(
            b.store.record(record_id).unwrap().decided_on.to_string(),
            "2025-06-01",
            "unchanged"
        );
        fixed[5] = ("decided_on", "2025-06-02");
        let p = provider.post(&format!("/console/records/{record_id}/edit"), &fixed);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let p = provider.follow(&p);
        assert!(
            p.body.contains(&format!("已更正记录 #{record_id}")),
            "{}",
            p.body
        );
        assert!(p.body.contains("更正"), "the history names the correction");
        assert_eq!(
            b.store.record(record_id).unwrap().decided_on.to_string(),
            "2025-06-02"
        );

        // The list shows it with its status, and filters.
        let p = provider.get("/console/records?state=submitted");
        assert!(p.body.contains(&format!("#{record_id}")) && p.body.contains("待审核"));
        let p = provider.get("/console/records?state=active");
        assert!(!p.body.contains(&format!("#{record_id}<")));

        // --- Upload: preview, import, report, rejected rows back as .xlsx ---------------------
        let other = b.store.find_unit("大沽街道").unwrap().uscc.unwrap();
        let csv = format!(
            "{HEADER}\n{OTHER_TOWN},{other},PAYMENT_ARREARS,津滨财〔2025〕21号,2025-05-01,天津市滨海新区财政局,逾期付款,责令支付\n{TOWN},{town_uscc},不存在的类别,津滨财〔2025〕22号,2025-05-02,天津市滨海新区财政局,逾期付款,责令支付\n"
        );
        let up = provider.get("/console/upload");
        let csrf = up.csrf();
        let p = provider.post_file(
            "/console/upload",
            &[("csrf", &csrf)],
            ("付款记录.csv", csv.as_bytes()),
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let status_url = p.location();
        let p = provider.follow(&p);
        assert!(
            p.body.contains("前 10 行预览") && p.body.contains("津滨财〔2025〕22号"),
            "{}",
            p.body
        );
        // Issue 10: the preview checks its rows as the import will, and marks the bad one
        // before the import rather than after.
        assert!(
            p.body.contains("有 1 行有误")
                && p.body.contains("class=\"row-faulty\"")
                && p.body.contains("记录类别")
                && p.body.contains("不存在的类别"),
            "[{name}] {}",
            p.body
        );
        assert_eq!(
            p.body.matches("class=\"row-faulty\"").count(),
            1,
            "[{name}]"
        );
        let import_url = format!("{status_url}/import");
        let csrf = p.csrf();
        let p = provider.post(&import_url, &[("csrf", &csrf)]);
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        provider.follow(&p);
        let page = provider.finished(&status_url);
        assert!(
            page.body.contains("接收 1 条") && page.body.contains("退回 1 行"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("记录类别") && page.body.contains("不存在的类别"),
            "{}",
            page.body
        );
        let res = provider
            .request(reqwest::Method::GET, &format!("{status_url}/errors.xlsx"))
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let disposition = res.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_string();
        assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("errors.xlsx");
        std::fs::write(&path, res.bytes().unwrap()).unwrap();
        let rows: Vec<_> = probity_ingest::TableReader::open(&path, probity_app::columns::RECORDS)
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].cells[4], "津滨财〔2025〕22号");
        // Someone else cannot see the upload.
        let mut court = s.browser();
        let l = court.get("/login");
        let csrf = l.csrf();
        b.store
            .create_account(
                "court_clerk",
                AccountRole::Provider,
                Some(b.store.find_unit("区法院").unwrap().id),
                PASSWORD,
                "test",
            )
            .unwrap();
        let p = court.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "court_clerk"),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert_eq!(court.get(&status_url).status, StatusCode::NOT_FOUND);
        assert_eq!(
            court.get(&format!("/console/records/{record_id}")).status,
            StatusCode::NOT_FOUND
        );

        // --- Too large: 413 before the body is read whole --------------------------------------
        let big = vec![b'a'; (UPLOAD_LIMIT as usize) + 200 * 1024];
        let up = provider.get("/console/upload");
        let csrf = up.csrf();
        let p = provider.post_file("/console/upload", &[("csrf", &csrf)], ("big.csv", &big));
        assert_eq!(p.status, StatusCode::PAYLOAD_TOO_LARGE, "[{name}]");
        assert!(p.body.contains("文件过大"), "{}", p.body);

        // --- Template download -------------------------------------------------------------------
        let res = provider
            .request(
                reqwest::Method::GET,
                "/console/templates/PAYMENT_ARREARS.xlsx",
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("UTF-8''")
        );

        // --- The credit office activates from the review queue ---------------------------------
        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let q = admin.get("/console/review");
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        // Who reported it, by role and name: not the journal's code.
        assert!(
            q.body.contains("报送单位 p_provider") && !q.body.contains("provider:p_provider"),
            "[{name}] {}",
            q.body
        );
        assert!(
            q.body
                .contains(&format!("/console/records/{record_id}/activate"))
        );
        let csrf = q.csrf();
        let p = admin.post(
            &format!("/console/records/{record_id}/send-back"),
            &[("csrf", &csrf), ("back", "review"), ("reason", "")],
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a reason is required"
        );
        let p = admin.post(
            &format!("/console/records/{record_id}/activate"),
            &[("csrf", &csrf), ("back", "review")],
        );
        assert_eq!(p.location(), "/console/review");
        let p = admin.follow(&p);
        assert!(
            p.body.contains(&format!("已审核生效记录 #{record_id}")),
            "{}",
            p.body
        );
        let d = admin.get(&format!("/console/records/{record_id}"));
        assert!(
            d.body.contains("已生效") || d.body.contains("生效"),
            "{}",
            d.body
        );
        assert!(
            d.body.contains("处理记录")
                && d.body.contains("审核生效")
                && d.body.contains("信用办 p_admin")
                && !d.body.contains("admin:p_admin"),
            "{}",
            d.body
        );

        // --- The unit sees its own file, not another unit's record -----------------------------
        let mut unit = s.browser_as(&acc, AccountRole::Unit);
        let f = unit.get("/console/file");
        assert_eq!(f.status, StatusCode::OK);
        assert!(
            f.body.contains(TOWN) && f.body.contains("津滨财〔2025〕11号"),
            "{}",
            f.body
        );
        let other_record = b
            .store
            .list_records(
                &probity_store::RecordFilter {
                    document_no: Some("津滨财〔2025〕21号".into()),
                    ..Default::default()
                },
                probity_store::RecordOrder::Newest,
                None,
                10,
            )
            .unwrap()[0]
            .id;
        assert_eq!(
            unit.get(&format!("/console/records/{other_record}")).status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            unit.get(&format!("/console/records/{record_id}")).status,
            StatusCode::OK
        );

        // --- Second factor enrolment for an administrator who has none yet --------------------
        let mut sec = s.browser();
        let l = sec.get("/login");
        let csrf = l.csrf();
        let p = sec.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "p_secadmin"),
                ("password", PASSWORD),
            ],
        );
        assert_eq!(p.location(), "/console/totp");
        assert_eq!(sec.get("/console/accounts").location(), "/console/totp");
        let t = sec.get("/console/totp");
        let secret = between(&t.body, "<code id=\"totp-secret\">", "</code>").unwrap();
        assert!(t.body.contains("otpauth://totp/"));
        let p = sec.post(
            "/console/totp",
            &[("csrf", &t.csrf()), ("code", &totp_code(&secret))],
        );
        let p = sec.follow(&p);
        assert!(p.body.contains("已启用动态口令"), "{}", p.body);
        assert_eq!(sec.get("/console/accounts").status, StatusCode::OK);

        // --- Logout ------------------------------------------------------------------------------
        let home = provider.get("/console");
        let p = provider.post("/logout", &[("csrf", &home.csrf())]);
        assert_eq!(p.location(), "/login");
        assert_eq!(provider.get("/console").status, StatusCode::SEE_OTHER);
        eprintln!("[{name}] pages end to end: {:?}", started.elapsed());
    }
}

/// The role a test uses for a route: the first the table lets in.
fn role_for(path: &str, method: &str) -> Option<AccountRole> {
    let rule = probity_domain::authz::rule(method, path).unwrap();
    if rule.public {
        None
    } else if rule.any_account {
        Some(AccountRole::Provider)
    } else {
        Some(rule.roles[0].0)
    }
}

#[test]
fn every_post_page_refuses_a_missing_or_forged_csrf_field() {
    let b = backends("pages").remove(0);
    let (s, acc) = start(&b.store);
    enrol(&b.store, "p_secadmin");
    let mut checked = 0;
    for rule in TABLE.iter().filter(|r| {
        r.method == "POST"
            && (r.path.starts_with("/console") || r.path == "/login" || r.path == "/logout")
    }) {
        let path = rule.path.replace("{id}", "1");
        let mut browser = match role_for(rule.path, rule.method) {
            Some(role) => s.browser_as(&acc, role),
            None => {
                let mut br = s.browser();
                br.get("/login");
                br
            }
        };
        let multipart = matches!(
            path.as_str(),
            "/console/upload"
                | "/console/subjects/import"
                | "/console/calendar/import"
                | "/console/commitments/import"
                | "/console/cases/1/step"
                | "/console/records/1/object"
                | "/console/records/1/repair"
        );
        for forged in [None, Some("forged-token")] {
            let p = if multipart {
                let fields: Vec<(&str, &str)> = forged.map(|f| ("csrf", f)).into_iter().collect();
                browser.post_file(&path, &fields, ("x.csv", HEADER.as_bytes()))
            } else {
                let mut fields = vec![
                    ("name", "p_provider"),
                    ("password", PASSWORD),
                    ("reason", "理由"),
                ];
                if let Some(f) = forged {
                    fields.push(("csrf", f));
                }
                browser.post(&path, &fields)
            };
            assert_eq!(
                p.status,
                StatusCode::FORBIDDEN,
                "{} {forged:?}: {}",
                rule.path,
                p.body
            );
            assert!(
                p.body.contains("页面已过期或来源不明"),
                "{}: {}",
                rule.path,
                p.body
            );
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
}

#[test]
fn the_credit_office_and_the_administrators_pages() {
    for b in backends("pages") {
        let (s, acc) = start(&b.store);
        let name = b.name;

        // --- Catalog: a bad number is shown back, a good one saved ------------------------------
        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let c = admin.get("/console/catalog?code=PAYMENT_ARREARS");
        assert_eq!(c.status, StatusCode::OK, "[{name}] {}", c.body);
        assert!(c.body.contains("拖欠企业账款"));
        // Issue 10: the name first; the code in its own column, for import files.
        assert!(
            c.body.contains("<h2>修改类别：拖欠企业账款</h2>")
                && c.body.contains("<tr><td>拖欠企业账款</td>")
                && c.body.contains("<td><code>PAYMENT_ARREARS</code></td>"),
            "[{name}] {}",
            c.body
        );
        let csrf = c.csrf();
        let mut form = vec![
            ("csrf", csrf.as_str()),
            ("code", "PAYMENT_ARREARS"),
            ("minor_min", "0"),
            ("minor_max", "3"),
            ("ordinary_min", "3"),
            ("ordinary_max", "x"),
            ("grave_min", "12"),
            ("grave_max", "36"),
            ("repairable", "on"),
            ("rectification_working_days", "20"),
            ("score_weight", "-3"),
            ("default_scope", "public"),
        ];
        let p = admin.post("/console/catalog", &form);
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains("一般最长公示期应为"), "{}", p.body);
        form[5] = ("ordinary_max", "12");
        let p = admin.post("/console/catalog", &form);
        let p = admin.follow(&p);
        assert!(p.body.contains("已保存类别“拖欠企业账款”"), "{}", p.body);
        let cat = b.store.catalog().unwrap();
        let cat = cat.get("PAYMENT_ARREARS").unwrap();
        assert_eq!((cat.score_weight, cat.rectification_working_days), (-3, 20));

        // --- Roster import and the subjects list -------------------------------------------------
        let roster = format!(
            "名称,简称,主体类型,统一社会信用代码,上级单位\n天津市滨海新区泰达街道办事处,泰达街道,街镇,{},区政府\n坏单位,,部门,123,区政府\n",
            uscc("WB000006")
        );
        let l = admin.get("/console/subjects");
        let p = admin.post_file(
            "/console/subjects/import",
            &[("csrf", &l.csrf())],
            ("名录.csv", roster.as_bytes()),
        );
        let p = admin.follow(&p);
        assert!(
            p.body.contains("新增 1") && p.body.contains("退回 1"),
            "[{name}] {}",
            p.body
        );
        let p = admin.get("/console/subjects?kind=township&name=泰达");
        assert!(
            p.body.contains("泰达街道") && !p.body.contains("新河街道"),
            "{}",
            p.body
        );

        // --- Accounts: the system administrator creates and issues, the security administrator
        //     grants, the auditor reads ------------------------------------------------------------
        let mut sys = s.browser_as(&acc, AccountRole::Sysadmin);
        let a = sys.get("/console/accounts");
        let p = sys.post(
            "/console/accounts",
            &[
                ("csrf", &a.csrf()),
                ("name", "new_clerk"),
                ("real_name", "王小明"),
                ("phone", "13812345678"),
            ],
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body
                .contains("新建账号（待安全管理员授予角色）：账号“new_clerk”的一次性密码"),
            "[{name}] {}",
            p.body
        );
        let id = b.store.account_by_name("new_clerk").unwrap().unwrap().id;
        // A token is its holder's to issue (a provider's, here), the system administrator's to
        // revoke.
        let provider = b.store.account_by_name("p_provider").unwrap().unwrap();
        let (t, _) = b.store.issue_token(provider.id, "对接", &provider).unwrap();
        let p = sys.post(
            &format!("/console/tokens/{}/revoke", t.id),
            &[("csrf", &a.csrf())],
        );
        assert!(
            sys.follow(&p)
                .body
                .contains(&format!("已吊销接口令牌 #{}", t.id))
        );

        enrol(&b.store, "p_secadmin");
        let mut sec = s.browser_as(&acc, AccountRole::Secadmin);
        let a = sec.get("/console/accounts");
        let p = sec.post(
            &format!("/console/accounts/{id}/role"),
            &[("csrf", &a.csrf()), ("role", "unit"), ("unit", "新河街道")],
        );
        let p = sec.follow(&p);
        assert!(
            p.body.contains("已将账号“new_clerk”的角色设为"),
            "{}",
            p.body
        );
        assert_eq!(b.store.account(id).unwrap().role, AccountRole::Unit);

        let mut auditor = s.browser_as(&acc, AccountRole::Auditor);
        let p = auditor.get("/console/audit");
        assert_eq!(p.status, StatusCode::OK);
        // Who acted and what they did, in Chinese: not the journal's codes.
        assert!(p.body.contains("系统管理员 p_sysadmin"), "{}", p.body);
        assert!(
            p.body.contains("创建") || p.body.contains("新建"),
            "{}",
            p.body
        );
        assert!(!p.body.contains("sysadmin:p_sysadmin"), "{}", p.body);
        assert_eq!(
            auditor.get("/console/catalog").status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            auditor.get("/console/nowhere").status,
            StatusCode::NOT_FOUND
        );
    }
}

/// 120 submitted records of the finance bureau on the township, decided over four days
/// (document numbers `S-0` … `S-119`, decided `2025-0{1+i%4}-15`).
fn many_records(store: &Store) {
    let town = store.find_unit("新河街道").unwrap();
    let header = probity_app::columns::RECORDS
        .iter()
        .map(|c| c.header)
        .collect::<Vec<_>>()
        .join(",");
    let mut csv = format!("{header}\n");
    for i in 0..120 {
        csv.push_str(&format!(
            "{},{},,PAYMENT_ARREARS,S-{i},2025-0{}-15,天津市滨海新区财政局,逾期未支付中小企业货款,,责令限期支付,,,\n",
            town.name,
            town.uscc.as_deref().unwrap(),
            1 + i % 4
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("records.csv");
    std::fs::write(&file, csv).unwrap();
    let outcome = probity_app::import::import_records(
        store,
        probity_app::import::RecordImportArgs {
            file: &file,
            provider: "区财政局",
            activate: false,
            all_or_nothing: false,
            errors: None,
            batch_size: 50,
            actor: "test".into(),
            today: probity_app::today(),
            progress: None,
            channel: probity_store::Channel::File,
        },
    );
    assert!(outcome.is_ok());
}

/// The document numbers of a list page, in the order shown.
fn documents(body: &str) -> Vec<String> {
    body.split("<td>S-")
        .skip(1)
        .map(|rest| format!("S-{}", rest.split('<').next().unwrap()))
        .collect()
}

/// The `href` of the next-page link, if any.
fn next_link(body: &str) -> Option<String> {
    between(body, "<p class=\"pager\"><a href=\"", "\"")
        .map(|h| h.replace("&amp;", "&").replace("&#38;", "&"))
}

#[test]
fn lists_sort_and_page_in_the_store_and_refuse_bad_queries() {
    for b in backends("pages") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        many_records(&b.store);
        let mut provider = s.browser_as(&acc, AccountRole::Provider);

        // Every order, walked through its next-page links, shows each record exactly once, in
        // the order the sort names (not merely within a page).
        for (sort, first) in [
            ("id_desc", "S-119"),
            ("id_asc", "S-0"),
            ("decided_desc", "S-119"),
        ] {
            let mut path = format!("/console/records?sort={sort}");
            let mut seen: Vec<String> = Vec::new();
            let mut pages = 0;
            loop {
                let p = provider.get(&path);
                assert_eq!(p.status, StatusCode::OK, "[{name}] {path}");
                seen.extend(documents(&p.body));
                pages += 1;
                match next_link(&p.body) {
                    Some(n) => path = format!("/console/records{n}"),
                    None => break,
                }
                assert!(pages < 10, "[{name}] {sort} must end");
            }
            assert_eq!(
                pages,
                3,
                "[{name}] {sort}: 50 + 50 + 20, saw {} {seen:?}",
                seen.len()
            );
            assert_eq!(seen.len(), 120, "[{name}] {sort}");
            assert_eq!(seen[0], first, "[{name}] {sort}");
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), 120, "[{name}] {sort}: no record twice");
            if sort == "decided_desc" {
                // S-i is decided in month 1 + i % 4: months never increase down the list.
                let months: Vec<usize> = seen
                    .iter()
                    .map(|d| 1 + d[2..].parse::<usize>().unwrap() % 4)
                    .collect();
                assert!(
                    months.windows(2).all(|w| w[0] >= w[1]),
                    "[{name}] {months:?}"
                );
            }
        }
        // Filters stay in the next-page link.
        let p =
            provider.get("/console/records?sort=id_asc&state=submitted&category=PAYMENT_ARREARS");
        let next = next_link(&p.body).unwrap();
        assert!(
            next.contains("sort=id_asc")
                && next.contains("state=submitted")
                && next.contains("category=PAYMENT_ARREARS"),
            "[{name}] {next}"
        );

        // Hand-edited queries get a Chinese page, never a panic or axum's English.
        for bad in [
            "/console/records?sort=random",
            "/console/records?before=abc",
            "/console/records?sort=decided_desc&before=17",
            "/console/records?state=nonsense",
            "/console/file?page=18446744073709551615",
            "/console/records?before=%FF%FE",
        ] {
            let p = provider.get(bad);
            assert!(p.status.is_client_error(), "[{name}] {bad}: {}", p.status);
            assert!(
                p.body.contains("<html") && !p.body.contains("Failed to deserialize"),
                "[{name}] {bad}: {}",
                p.body
            );
        }
        let mut unit = s.browser_as(&acc, AccountRole::Unit);
        let p = unit.get("/console/file?page=18446744073709551615");
        assert_eq!(
            p.status,
            StatusCode::OK,
            "[{name}] past the end is an empty page"
        );

        // The review queue: oldest first, counted, and an action returns to the page it was on.
        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let q = admin.get("/console/review?category=PAYMENT_ARREARS");
        assert_eq!(q.status, StatusCode::OK, "[{name}]");
        assert!(q.body.contains("共 120 条待审核"), "[{name}] {}", q.body);
        assert_eq!(
            documents(&q.body)[0],
            "S-0",
            "[{name}] first come, first served"
        );
        assert!(
            !q.body.contains("撤销理由"),
            "[{name}] a submitted record cannot be revoked"
        );
        let next = next_link(&q.body).unwrap();
        assert!(next.starts_with("?after="), "[{name}] {next}");
        let q2 = admin.get(&format!("/console/review{next}"));
        assert_eq!(documents(&q2.body)[0], "S-50", "[{name}]");
        let id = between(&q2.body, "action=\"/console/records/", "/activate").unwrap();
        let back = between(&q2.body, "name=\"back\" value=\"", "\"")
            .unwrap()
            .replace("&amp;", "&")
            .replace("&#38;", "&");
        let csrf = q2.csrf();
        let p = admin.post(
            &format!("/console/records/{id}/activate"),
            &[("csrf", &csrf), ("back", &back)],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}]");
        assert_eq!(
            p.location(),
            format!("/console/review{next}"),
            "[{name}] back to the same page of the queue, filters kept"
        );
        // A `back` that tries to leave the queue goes to the record instead.
        let csrf = admin.get(&format!("/console/records/{id}")).csrf();
        for evil in [
            "review//evil.example",
            "review?x=\r\nSet-Cookie:a=b",
            "https://evil.example",
        ] {
            let p = admin.post(
                &format!("/console/records/{id}/send-back"),
                &[("csrf", &csrf), ("back", evil), ("reason", "测试")],
            );
            assert!(
                !p.location().contains("evil") && !p.location().contains("Set-Cookie"),
                "[{name}] {evil}: {}",
                p.location()
            );
        }
    }
}

#[test]
fn logging_in_again_ends_the_session_the_browser_held() {
    for b in backends("pages") {
        let (s, acc) = start(&b.store);
        let mut browser = s.browser_as(&acc, AccountRole::Provider);
        let old = browser.cookies[0].1.clone();
        assert_eq!(browser.get("/console").status, StatusCode::OK);
        let login = browser.get("/login");
        let csrf = login.csrf();
        let p = browser.post(
            "/login",
            &[
                ("csrf", &csrf),
                ("name", "p_unit"),
                ("password", PASSWORD),
                ("next", "/console"),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{}] {}", b.name, p.body);
        let now = chrono::Utc::now();
        assert!(
            b.store
                .session(&old, now, chrono::Duration::minutes(30))
                .unwrap()
                .is_none(),
            "[{}] the provider's session ended",
            b.name
        );
        let mut stale = s.browser();
        stale.cookies.push(("probity_session".into(), old));
        assert_eq!(stale.get("/console").status, StatusCode::SEE_OTHER);
    }
}

/// Issue 10: a record past its disclosure period shows as 已到期 in the console after the daily
/// round (`probity_app::tick`, which `serve` runs each day), in its list filter and on its page,
/// with the system's journal entry; not as 已生效.
#[test]
fn an_ended_record_shows_as_expired_after_the_daily_round() {
    for b in backends("pages") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let today = probity_app::today();
        // Decided 400 days ago: its ordinary period of at most 12 months has ended.
        let id = form_record(
            &b.store,
            ("区法院", "区法院:test"),
            "区法院",
            ("JUDICIAL_JUDGMENT", "津滨法〔2025〕到期1号", 400),
            true,
        );
        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let tag = format!("#{id}<");
        assert!(
            admin
                .get("/console/records?state=active")
                .body
                .contains(&tag)
        );
        assert!(
            !admin
                .get("/console/records?state=expired")
                .body
                .contains(&tag)
        );

        let app = probity_app::App::new(b.store.clone(), probity_app::Clock::system());
        let report = probity_app::tick::run(&app, today).unwrap();
        assert_eq!(report.expired, 1, "[{name}]");

        let p = admin.get("/console/records?state=expired");
        assert!(
            p.body.contains(&tag) && p.body.contains("已到期"),
            "[{name}] {}",
            p.body
        );
        assert!(
            !admin
                .get("/console/records?state=active")
                .body
                .contains(&tag)
        );
        let p = admin.get(&format!("/console/records/{id}"));
        assert_eq!(p.status, StatusCode::OK);
        assert!(
            p.body.contains("已到期")
                && p.body.contains("公示期满")
                && p.body.contains("系统（公示期满处理）"),
            "[{name}] {}",
            p.body
        );
        // The next round finds nothing more to do.
        assert_eq!(probity_app::tick::run(&app, today).unwrap().expired, 0);
    }
}

/// Issue 10: a record the credit office sent back is 已退回 (not a plain draft) on the provider's
/// dashboard, in its list filter and at the top of the record with the reason, until it is
/// submitted again.
#[test]
fn a_sent_back_record_says_so_with_its_reason_until_submitted_again() {
    for b in backends("pages") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let id = form_record(
            &b.store,
            ("区财政局", "provider:p_provider"),
            TOWN,
            ("PAYMENT_ARREARS", "津滨财〔2025〕退回1号", 20),
            false,
        );
        let tag = format!("#{id}<");

        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let page = admin.get(&format!("/console/records/{id}"));
        let reason = "决定文书号与原件不符，请核对";
        let p = admin.post(
            &format!("/console/records/{id}/send-back"),
            &[("csrf", &page.csrf()), ("reason", reason)],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);

        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        let home = provider.get("/console");
        let tile = |label: &str| {
            let at = home.body.find(&format!("<span>{label}</span>")).unwrap();
            let start = home.body[..at].rfind("<strong>").unwrap() + "<strong>".len();
            home.body[start..at]
                .trim_end_matches("</strong>")
                .to_string()
        };
        assert_eq!(tile("已退回"), "1", "[{name}] {}", home.body);
        assert_eq!(tile("草稿"), "0", "[{name}] counted apart from the drafts");
        let p = provider.get("/console/records?state=sent_back");
        assert!(
            p.body.contains(&tag) && p.body.contains("已退回"),
            "[{name}] {}",
            p.body
        );
        assert!(
            !provider
                .get("/console/records?state=draft")
                .body
                .contains(&tag)
        );
        let p = provider.get(&format!("/console/records/{id}"));
        let banner = p.body.find("<strong>已退回</strong>").expect("a banner");
        assert!(
            banner < p.body.find("决定文书号").unwrap(),
            "at the top of the record"
        );
        assert!(p.body.contains(reason), "[{name}] {}", p.body);
        // Names, not the platform's codes: the category's name, who reported it by role and
        // name, no row number for a form.
        assert!(
            p.body.contains("报送单位 p_provider")
                && !p.body.contains("provider:p_provider")
                && !p.body.contains("（PAYMENT_ARREARS")
                && !p.body.contains("第 0 行"),
            "[{name}] {}",
            p.body
        );
        assert_eq!(
            b.store.record(id).unwrap().sent_back.as_deref(),
            Some(reason)
        );

        // Submitted again: it waits for review, and the send-back is over.
        let p = provider.post(
            &format!("/console/records/{id}/submit"),
            &[("csrf", &p.csrf())],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let p = provider.get(&format!("/console/records/{id}"));
        assert!(!p.body.contains("<strong>已退回</strong>") && p.body.contains("待审核"));
        assert_eq!(b.store.record(id).unwrap().sent_back, None);
        assert!(
            !provider
                .get("/console/records?state=sent_back")
                .body
                .contains(&tag)
        );
    }
}

/// A record entered through a form by `provider` (unit, journal actor) about the unit `subject`:
/// (category, document number, decided so many days ago); activated, or only submitted.
pub(crate) fn form_record(
    store: &Store,
    (provider, actor): (&str, &str),
    subject: &str,
    (category, doc, days_ago): (&str, &str, i64),
    activate: bool,
) -> i64 {
    let today = probity_app::today();
    let subject = store.find_unit(subject).unwrap();
    let row = probity_domain::record::RecordRow {
        subject_name: subject.name.clone(),
        uscc: subject.uscc.clone().unwrap(),
        category: category.into(),
        document_no: doc.into(),
        decided_on: (today - chrono::Duration::days(days_ago))
            .format("%Y-%m-%d")
            .to_string(),
        authority: "天津市滨海新区人民政府".into(),
        facts: "未按约定履行".into(),
        outcome: "责令改正".into(),
        ..Default::default()
    };
    let rec = row.validate(&store.catalog().unwrap(), today).unwrap();
    let created = store
        .create_record(
            probity_store::ImportOptions {
                provider: store.find_unit(provider).unwrap(),
                actor: actor.into(),
                channel: probity_store::Channel::Form,
                source: "test".into(),
                activate,
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

/// The review queue (审核队列) shows what the reviewer decides on (the facts, the kind and
/// severity, the reporting unit by name), and approves several at once only after a page that
/// lists them and asks for confirmation; a record another reviewer took meanwhile is reported,
/// the others go through.
#[test]
fn the_review_queue_shows_the_facts_and_approves_a_batch_after_confirmation() {
    for b in backends("review_batch") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let by = ("区财政局", "provider:p_provider");
        let ids: Vec<i64> = ["RB-1", "RB-2", "RB-3"]
            .iter()
            .map(|doc| form_record(&b.store, by, TOWN, ("PAYMENT_ARREARS", doc, 10), false))
            .collect();

        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let q = admin.get("/console/review");
        assert_eq!(q.status, StatusCode::OK, "[{name}]");
        let row = between(&q.body, &format!("name=\"pick_{}\"", ids[0]), "</tr>").unwrap();
        assert!(
            row.contains("未按约定履行") && row.contains("失信") && row.contains("区财政局"),
            "[{name}] facts, kind and the unit's name: {row}"
        );
        assert!(
            row.contains("class=\"approve\"") && row.contains("class=\"secondary\""),
            "[{name}] approving and sending back look different: {row}"
        );

        // Nothing picked: nothing happens, and the page says so.
        let csrf = q.csrf();
        let p = admin.post(
            "/console/review/activate",
            &[("csrf", &csrf), ("back", "review")],
        );
        assert_eq!(p.location(), "/console/review", "[{name}]");
        assert!(
            admin.follow(&p).body.contains("请先勾选要审核生效的记录"),
            "[{name}]"
        );

        // Two picked: a confirmation page first, and nothing activated yet.
        let (a, c) = (format!("pick_{}", ids[0]), format!("pick_{}", ids[2]));
        let p = admin.post(
            "/console/review/activate",
            &[("csrf", &csrf), ("back", "review"), (&a, "1"), (&c, "1")],
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body.contains("确认审核生效 2 条")
                && p.body.contains("RB-1")
                && p.body.contains("RB-3")
                && !p.body.contains("RB-2"),
            "[{name}] {}",
            p.body
        );
        let state = |id: i64| b.store.record(id).unwrap().state.code();
        assert_eq!(
            state(ids[0]),
            "submitted",
            "[{name}] not before confirmation"
        );

        // Meanwhile another reviewer activates one of them: confirmed, the other goes through
        // and the taken one is reported.
        let single = admin.post(
            &format!("/console/records/{}/activate", ids[2]),
            &[("csrf", &csrf)],
        );
        assert_eq!(single.status, StatusCode::SEE_OTHER, "[{name}]");
        let p = admin.post(
            "/console/review/activate",
            &[
                ("csrf", &csrf),
                ("back", "review"),
                ("confirm", "1"),
                (&a, "1"),
                (&c, "1"),
            ],
        );
        assert_eq!(p.location(), "/console/review", "[{name}] {}", p.body);
        let flash = p.flash();
        assert!(
            flash.contains("已审核生效 1 条记录")
                && flash.contains(&format!("1 条未能生效（#{}", ids[2])),
            "[{name}] {flash}"
        );
        assert_eq!(state(ids[0]), "active", "[{name}]");
        assert_eq!(
            state(ids[1]),
            "submitted",
            "[{name}] not picked, still waiting"
        );

        // A forged id is refused like a bad form, not answered with a 500.
        let p = admin.post(
            "/console/review/activate",
            &[("csrf", &csrf), ("pick_x1", "1")],
        );
        assert!(p.status.is_client_error(), "[{name}] {}", p.status);
        // Only the credit office approves.
        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        let csrf = provider.get("/console").csrf();
        let p = provider.post("/console/review/activate", &[("csrf", &csrf), (&a, "1")]);
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}]");
    }
}

/// Reads the sheet of an Excel download: each row's cells under the given headers.
pub(crate) fn sheet(bytes: &[u8], headers: &[&'static str]) -> Vec<Vec<String>> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.xlsx");
    std::fs::write(&path, bytes).unwrap();
    let cols: Vec<probity_ingest::ColumnSpec> = headers
        .iter()
        .map(|h| probity_ingest::ColumnSpec {
            key: h,
            header: h,
            required: true,
            aliases: &[],
        })
        .collect();
    probity_ingest::TableReader::open(&path, &cols)
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect()
}

/// Each 工作台 has a 待办 panel built from the data (sent back, waiting for review, disclosures
/// ending within 30 days); the record list filters on the end of disclosure and exports what it
/// shows to Excel; the roster links each subject to its file, which exports too.
#[test]
fn dashboards_list_what_waits_and_lists_export_to_excel() {
    for b in backends("todo_export") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let by = ("区财政局", "provider:p_provider");
        let today = probity_app::today();
        // How long a record of this category is disclosed: from a record decided today.
        let probe = form_record(&b.store, by, TOWN, ("PAYMENT_ARREARS", "T-probe", 0), true);
        let period = (b.store.record(probe).unwrap().disclosure_until - today).num_days();
        assert!(period > 40, "[{name}] {period}");
        let ending = form_record(
            &b.store,
            by,
            TOWN,
            ("PAYMENT_ARREARS", "T-ending", period - 10),
            true,
        );
        form_record(&b.store, by, TOWN, ("PAYMENT_ARREARS", "T-wait", 5), false);
        let back = form_record(&b.store, by, TOWN, ("PAYMENT_ARREARS", "T-back", 6), false);
        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let page = admin.get(&format!("/console/records/{back}"));
        admin.post(
            &format!("/console/records/{back}/send-back"),
            &[("csrf", &page.csrf()), ("reason", "请补充欠款金额")],
        );

        // The provider's 待办: the sent-back record with its reason, the one waiting, the one
        // whose disclosure ends soon.
        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        let home = provider.get("/console");
        let todo = between(&home.body, "<h2 id=\"todo-h\">待办</h2>", "</section>")
            .unwrap_or_else(|| panic!("[{name}] no 待办 panel: {}", home.body));
        for want in [
            "被退回待修改</a> <strong>1</strong>",
            "请补充欠款金额",
            "已报送，等待信用办审核</a> <strong>1</strong>",
            "公示将在 30 天内到期</a> <strong>1</strong>",
            &format!("/console/records/{ending}\""),
        ] {
            assert!(todo.contains(want), "[{name}] {want}: {todo}");
        }
        let home = admin.get("/console");
        let todo = between(&home.body, "<h2 id=\"todo-h\">待办</h2>", "</section>").unwrap();
        assert!(
            todo.contains("<a href=\"/console/review\">待审核</a> <strong>1</strong>")
                && todo.contains("今天报送"),
            "[{name}] {todo}"
        );

        // The list agrees with the panel, and exports what it shows.
        let list = admin.get("/console/records?state=active&ending=30");
        assert!(
            list.body.contains("T-ending") && !list.body.contains("T-probe"),
            "[{name}] {}",
            list.body
        );
        let bad = admin.get("/console/records?ending=abc");
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "[{name}]");
        assert!(bad.body.contains("到期天数"), "[{name}]");
        let get_bytes = |b: &probity_testkit::browser::Browser, path: &str| {
            let res = b.request(reqwest::Method::GET, path).send().unwrap();
            assert_eq!(res.status(), StatusCode::OK, "[{name}] {path}");
            res.bytes().unwrap().to_vec()
        };
        let rows = sheet(
            &get_bytes(&admin, "/console/records.xlsx?state=active&ending=30"),
            &["决定文书号", "记录类别", "类别代码", "报送单位", "状态"],
        );
        assert_eq!(
            rows,
            vec![vec![
                "T-ending".to_string(),
                "拖欠企业账款".into(),
                "PAYMENT_ARREARS".into(),
                "区财政局".into(),
                "已生效".into()
            ]],
            "[{name}]"
        );
        let all = sheet(
            &get_bytes(&provider, "/console/records.xlsx"),
            &["决定文书号"],
        );
        assert_eq!(all.len(), 4, "[{name}] the provider's own four: {all:?}");

        // The roster links a subject to its file; the file and the roster export.
        let town = b.store.find_unit(TOWN).unwrap();
        let roster = admin.get(&format!("/console/subjects?name={}", "新河"));
        assert!(
            roster
                .body
                .contains(&format!("<a href=\"/console/subjects/{}\">", town.id)),
            "[{name}] {}",
            roster.body
        );
        let file = admin.get(&format!("/console/subjects/{}", town.id));
        assert_eq!(file.status, StatusCode::OK, "[{name}]");
        assert!(
            file.body.contains("信用档案")
                && file.body.contains("T-ending")
                && !file.body.contains("T-wait"),
            "[{name}] decided records only: {}",
            file.body
        );
        let rows = sheet(
            &get_bytes(&admin, &format!("/console/subjects/{}/file.xlsx", town.id)),
            &["决定文书号"],
        );
        assert_eq!(rows.len(), 2, "[{name}] the two active ones: {rows:?}");
        let unit = s.browser_as(&acc, AccountRole::Unit);
        let own = sheet(&get_bytes(&unit, "/console/file.xlsx"), &["决定文书号"]);
        assert_eq!(own, rows, "[{name}] the unit's own file is the same");
        let roster_rows = sheet(
            &get_bytes(&admin, "/console/subjects.xlsx"),
            &["名称", "类型", "所在单位或上级"],
        );
        assert!(
            roster_rows.iter().any(|r| r[0] == town.name),
            "[{name}] {roster_rows:?}"
        );
    }
}

/// The statistics page (统计分析) counts what was decided on within each role's reach, by each
/// dimension, with each provider's timeliness and the roster's coverage; every figure agrees with
/// counts computed here from the records themselves, on the page and in the workbook.
#[test]
fn statistics_agree_with_the_records_for_each_role() {
    for b in backends("statistics") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let finance = ("区财政局", "provider:p_provider");
        let court = ("区法院", "provider:court");
        let ids = [
            form_record(&b.store, finance, TOWN, ("PAYMENT_ARREARS", "S-1", 3), true),
            form_record(
                &b.store,
                finance,
                TOWN,
                ("PAYMENT_ARREARS", "S-2", 20),
                true,
            ),
            form_record(
                &b.store,
                finance,
                OTHER_TOWN,
                ("PAYMENT_ARREARS", "S-3", 1),
                true,
            ),
            form_record(
                &b.store,
                court,
                OTHER_TOWN,
                ("JUDICIAL_JUDGMENT", "S-5", 2),
                true,
            ),
            // Waiting for review: not counted.
            form_record(
                &b.store,
                finance,
                TOWN,
                ("PAYMENT_ARREARS", "S-4", 2),
                false,
            ),
        ];
        let records: Vec<_> = ids.iter().map(|i| b.store.record(*i).unwrap()).collect();
        let catalog = b.store.catalog().unwrap();
        let counted: Vec<_> = records
            .iter()
            .filter(|r| probity_domain::statistics::COUNTED_STATES.contains(&r.state))
            .collect();
        let town = b.store.find_unit(TOWN).unwrap();
        let finance_id = b.store.find_unit("区财政局").unwrap().id;
        // Expected figures, from the records.
        let by_category = |scope: &dyn Fn(&&&probity_store::StoredRecord) -> bool| {
            let mut m: std::collections::BTreeMap<String, u64> = Default::default();
            for r in counted.iter().filter(scope) {
                *m.entry(catalog.get(&r.category).unwrap().name.clone())
                    .or_default() += 1;
            }
            m
        };
        let timely = |r: &probity_store::StoredRecord| {
            (probity_domain::date::beijing_date(r.first_seen) - r.decided_on).num_days() <= 7
        };
        let finance_timely = counted
            .iter()
            .filter(|r| r.provider_id == finance_id && timely(r))
            .count();
        let finance_all = counted
            .iter()
            .filter(|r| r.provider_id == finance_id)
            .count();
        assert_eq!((finance_timely, finance_all), (2, 3), "[{name}]");

        let mut admin = s.browser_as(&acc, AccountRole::Admin);
        let page = admin.get("/console/statistics?year=all");
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        let body = &page.body;
        let total = counted.len();
        assert!(
            body.contains(&format!("共 <strong>{total}</strong> 条记录")),
            "[{name}] {body}"
        );
        let cat_table = between(body, "<h2 id=\"category-h\">", "</section>").unwrap();
        for (cat, n) in by_category(&|_| true) {
            let share = probity_domain::statistics::Rate {
                part: n,
                whole: total as u64,
            }
            .percent_text();
            let want = format!(
                "<tr><td>{cat}</td><td class=\"num\">{n}</td><td class=\"num\">{share}</td></tr>"
            );
            assert!(cat_table.contains(&want), "[{name}] {want}: {cat_table}");
        }
        assert!(
            cat_table.contains("<svg class=\"chart\" role=\"img\""),
            "[{name}]"
        );
        let township = between(body, "<h2 id=\"township-h\">", "</section>").unwrap();
        assert!(
            township.contains("<td>新河街道</td><td class=\"num\">2</td>")
                && township.contains("<td>大沽街道</td><td class=\"num\">2</td>"),
            "[{name}] {township}"
        );
        let timeliness = between(body, "<h2 id=\"timeliness-h\">", "</section>").unwrap();
        let rate = probity_domain::statistics::Rate {
            part: finance_timely as u64,
            whole: finance_all as u64,
        }
        .percent_text();
        assert!(
            timeliness.contains(&format!(
                "<td>区财政局</td><td class=\"num\">{finance_all}</td><td class=\"num\">{finance_timely}</td><td class=\"num\">{rate}</td>"
            )),
            "[{name}] {timeliness}"
        );
        // Coverage: of the five units, the two townships have a counted record.
        let coverage = between(body, "<h2 id=\"coverage-h\">", "</section>").unwrap();
        assert!(
            coverage.contains(
                "<td>街镇</td><td class=\"num\">2</td><td class=\"num\">2</td><td class=\"num\">100.0%</td>"
            ) && coverage.contains("<td>部门</td><td class=\"num\">2</td><td class=\"num\">0</td>"),
            "[{name}] {coverage}"
        );
        for code in [
            "PAYMENT_ARREARS",
            "JUDICIAL_JUDGMENT",
            "department",
            "provider:",
        ] {
            assert!(!body.contains(code), "[{name}] {code} shows on the page");
        }
        // This year's page and a bad year.
        assert_eq!(admin.get("/console/statistics").status, StatusCode::OK);
        let bad = admin.get("/console/statistics?year=19x");
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "[{name}]");
        assert!(bad.body.contains("年度应为"), "[{name}] {}", bad.body);

        // The workbook: the same figures, with the codes beside the names.
        let res = admin
            .request(reqwest::Method::GET, "/console/statistics.xlsx?year=all")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let rows = sheet(
            &res.bytes().unwrap(),
            &["统计项", "项目", "代码", "数量", "其中", "比率"],
        );
        let arrears = catalog.get("PAYMENT_ARREARS").unwrap().name.clone();
        let n = by_category(&|_| true)[&arrears];
        assert!(
            rows.iter().any(|r| r[0] == "按记录类别"
                && r[1] == arrears
                && r[2] == "PAYMENT_ARREARS"
                && r[3] == n.to_string()),
            "[{name}] {rows:?}"
        );
        assert!(
            rows.iter().any(|r| r[0].starts_with("归集及时率")
                && r[1] == "区财政局"
                && r[3] == finance_all.to_string()
                && r[4] == finance_timely.to_string()
                && r[5] == rate),
            "[{name}] {rows:?}"
        );

        // A provider sees what it reported; an assessed unit what concerns it.
        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        let own = provider.get("/console/statistics?year=all").body;
        let own_total = counted
            .iter()
            .filter(|r| r.provider_id == finance_id)
            .count();
        assert!(
            own.contains(&format!("共 <strong>{own_total}</strong> 条记录"))
                && own.contains("统计范围：本单位报送")
                && own.contains("id=\"timeliness-h\"")
                && !own.contains("id=\"coverage-h\""),
            "[{name}] {own}"
        );
        let mut unit = s.browser_as(&acc, AccountRole::Unit);
        let mine = unit.get("/console/statistics?year=all").body;
        let about = counted.iter().filter(|r| r.subject_id == town.id).count();
        assert!(
            mine.contains(&format!("共 <strong>{about}</strong> 条记录"))
                && !mine.contains("id=\"timeliness-h\"")
                && !mine.contains("大沽街道"),
            "[{name}] {mine}"
        );
        let mut hr = s.browser_as(&acc, AccountRole::Auditor);
        assert_eq!(
            hr.get("/console/statistics").status,
            StatusCode::FORBIDDEN,
            "[{name}]"
        );
    }
}

/// The record form picks its subject from the roster: a datalist of the roster's units (search
/// as you type, no script), date fields as date inputs; a unit picked by its short name with no
/// code typed gets its USCC from the roster, and the record carries the roster's full name. A
/// name the roster does not know is refused with every other problem of the form.
#[test]
fn the_record_form_picks_its_subject_from_the_roster() {
    for b in backends("form_picker") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        let page = provider.get("/console/records/new");
        let body = &page.body;
        assert!(
            body.contains("<datalist id=\"roster-units\">")
                && body.contains(&format!("<option value=\"{TOWN}\">新河街道 "))
                && body.contains("list=\"roster-units\"")
                && body.contains("<input type=\"date\" name=\"decided_on\""),
            "[{name}] {body}"
        );
        let csrf = page.csrf();
        let today = probity_app::today().format("%Y-%m-%d").to_string();
        let mut fields = vec![
            ("csrf", csrf.as_str()),
            ("subject_name", "新河街道"),
            ("category", "PAYMENT_ARREARS"),
            ("document_no", "津滨财〔2026〕选1号"),
            ("decided_on", today.as_str()),
            ("authority", "天津市滨海新区财政局"),
            ("facts", "逾期未支付中小企业货款"),
            ("outcome", "责令限期支付"),
            ("action", "submit"),
        ];
        let p = provider.post("/console/records/new", &fields);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let id: i64 = p
            .location()
            .trim_start_matches("/console/records/")
            .parse()
            .unwrap();
        let rec = b.store.record(id).unwrap();
        assert_eq!(rec.subject_name, TOWN, "[{name}]");
        assert_eq!(
            rec.subject_id,
            b.store.find_unit(TOWN).unwrap().id,
            "[{name}]"
        );

        // Not on the roster: refused, with the other problems at once.
        fields[1] = ("subject_name", "新北街道");
        fields[3] = ("document_no", "津滨财〔2026〕选2号");
        fields[4] = ("decided_on", "");
        let p = provider.post("/console/records/new", &fields);
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(
            p.body.contains("id=\"err-decided_on\"")
                && p.body.contains("主体名录中没有名为“新北街道”的单位"),
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("value=\"新北街道\""),
            "[{name}] the typed name is kept"
        );
    }
}

/// The organisation and personnel department (组织人事部门) sees the civil servants with records
/// in their files (not only public ones), by unit, with the ID number masked, and exports them.
#[test]
fn the_personnel_department_sees_civil_servants_records_by_unit() {
    for b in backends("personnel") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let id = probity_domain::ident::IdNumber::from_parts(
            "120116",
            chrono::NaiveDate::from_ymd_opt(1982, 3, 9).unwrap(),
            217,
        )
        .unwrap();
        let person = probity_domain::subject::RosterRow {
            name: "王建国".into(),
            kind: "公务员".into(),
            id_number: id.as_str().into(),
            unit: "区财政局".into(),
            position: "科员".into(),
            ..Default::default()
        };
        let report = b
            .store
            .import_roster(vec![(2, person.validate(false).unwrap())], "test")
            .unwrap();
        assert!(report.rejected.is_empty(), "[{name}] {report:?}");
        let row = probity_domain::record::RecordRow {
            subject_name: "王建国".into(),
            id_number: id.as_str().into(),
            category: "ADMIN_PENALTY".into(),
            document_no: "津滨财罚〔2026〕人1号".into(),
            decided_on: probity_app::today().format("%Y-%m-%d").to_string(),
            authority: "天津市滨海新区财政局".into(),
            facts: "违反财经纪律".into(),
            outcome: "警告".into(),
            ..Default::default()
        };
        let rec = row
            .validate(&b.store.catalog().unwrap(), probity_app::today())
            .unwrap();
        b.store
            .create_record(
                probity_store::ImportOptions {
                    provider: b.store.find_unit("区财政局").unwrap(),
                    actor: "test".into(),
                    channel: probity_store::Channel::Form,
                    source: "test".into(),
                    activate: true,
                    all_or_nothing: false,
                },
                rec,
                false,
            )
            .unwrap();
        let finance = b.store.find_unit("区财政局").unwrap().id;
        let court = b.store.find_unit("区法院").unwrap().id;

        let mut hr = s.browser_as(&acc, AccountRole::Hr);
        let home = hr.get("/console");
        assert!(home.body.contains("/console/personnel"), "[{name}]");
        let page = hr.get("/console/personnel");
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        let penalty = b
            .store
            .catalog()
            .unwrap()
            .get("ADMIN_PENALTY")
            .unwrap()
            .name
            .clone();
        for want in [
            "<td>王建国</td>",
            &id.masked(),
            "<td>区财政局</td>",
            "<td>科员</td>",
            &format!("<td>{penalty}</td>"),
            "共 1 条记录，涉及 1 名公务员",
        ] {
            assert!(page.body.contains(want), "[{name}] {want}: {}", page.body);
        }
        assert!(
            !page.body.contains(id.as_str()),
            "[{name}] the full ID number shows"
        );
        assert!(!page.body.contains("ADMIN_PENALTY"), "[{name}]");
        let mine = hr.get(&format!("/console/personnel?unit={finance}"));
        assert!(mine.body.contains("王建国"), "[{name}]");
        assert_eq!(
            hr.get(&format!("/console/personnel?unit={court}")).status,
            StatusCode::NOT_FOUND,
            "[{name}]"
        );
        assert_eq!(
            hr.get("/console/personnel?unit=abc").status,
            StatusCode::BAD_REQUEST,
            "[{name}]"
        );
        let res = hr
            .request(reqwest::Method::GET, "/console/personnel.xlsx")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let rows = sheet(
            &res.bytes().unwrap(),
            &["姓名", "身份证号（脱敏）", "所在单位", "类别代码"],
        );
        assert_eq!(
            rows,
            vec![vec![
                "王建国".to_string(),
                id.masked(),
                "区财政局".into(),
                "ADMIN_PENALTY".into()
            ]],
            "[{name}]"
        );
        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        assert_eq!(
            provider.get("/console/personnel").status,
            StatusCode::FORBIDDEN,
            "[{name}]"
        );
    }
}

/// The 待办 panel lists only what the role may open: a provider's panel never names another
/// provider's record, and an assessed unit's leads to its own file (the record list is not its
/// page). The 工作台 is every account's page, so this reach is the record pages', not its own.
#[test]
fn the_todo_panel_stays_within_the_roles_reach() {
    for b in backends("todo_reach") {
        let (s, acc) = start(&b.store);
        let name = b.name;
        let today = probity_app::today();
        let court = ("区法院", "provider:court");
        let probe = form_record(
            &b.store,
            court,
            TOWN,
            ("JUDICIAL_JUDGMENT", "R-probe", 0),
            true,
        );
        let period = (b.store.record(probe).unwrap().disclosure_until - today).num_days();
        let theirs = form_record(
            &b.store,
            court,
            TOWN,
            ("JUDICIAL_JUDGMENT", "R-court", period - 5),
            true,
        );
        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        let home = provider.get("/console");
        assert!(
            !home.body.contains(&format!("/console/records/{theirs}\""))
                && !home.body.contains("公示将在 30 天内到期"),
            "[{name}] the finance bureau sees the court's record: {}",
            home.body
        );
        let mut unit = s.browser_as(&acc, AccountRole::Unit);
        let home = unit.get("/console");
        let todo = between(&home.body, "<h2 id=\"todo-h\">待办</h2>", "</section>")
            .unwrap_or_else(|| panic!("[{name}] no 待办: {}", home.body));
        assert!(
            todo.contains(&format!("/console/records/{theirs}\""))
                && todo.contains("<a href=\"/console/file\">")
                && !todo.contains("/console/records?"),
            "[{name}] {todo}"
        );
        assert_eq!(
            unit.get(&format!("/console/records/{theirs}")).status,
            StatusCode::OK
        );
    }
}
