//! The case pages as a browser without JavaScript drives them, on SQLite and PostgreSQL, against
//! a server whose clock stands on a known day (deadlines count working days from "today"): a
//! unit's objection and repair from its own record, the provider's answer, the credit office's
//! dashboard and its links, a case's attachment, the notification bell; the public complaint form
//! with its proof-of-work (solved here as the page's script solves it) and its question for
//! browsers without JavaScript, the status page, the rating and the per-client limit; the staff's
//! entry of a hotline complaint; and the rules page's periods.

use probity_domain::account::AccountRole;
use probity_store::Store;
use probity_testkit::browser::{BOUNDARY, Browser, Page, between};
use probity_testkit::{Accounts, backends, roster};
use reqwest::StatusCode;
use reqwest::header;

use crate::platform::{
    Served, app_on_day, browser_on_clock, day, empty_index, import_rows, reform_commission,
};

/// A Monday, far enough from the end of the calendar's last year for every deadline here.
const START: &str = "2026-06-01";

const PDF: &[u8] =
    b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// The platform on a loopback port, on the use cases of an `App` whose clock stands on `START`.
struct Site {
    base: String,
    app: probity_app::App,
    store: Store,
    accounts: Accounts,
    _server: Served,
}

impl Site {
    /// The small roster with the development and reform commission (which files the draft a
    /// founded complaint raises), and the credit office, the finance bureau's provider account
    /// and 新河街道's unit account (`cp_<role>`).
    fn start(store: &Store) -> Site {
        roster::binhai(store);
        import_rows(store, vec![reform_commission()]);
        let accounts = Accounts::create(
            store,
            "cp",
            &[AccountRole::Admin, AccountRole::Provider, AccountRole::Unit],
        );
        let app = app_on_day(store, START);
        let server = Served::start(&app, empty_index());
        Site {
            base: server.base.clone(),
            app,
            store: store.clone(),
            accounts,
            _server: server,
        }
    }

    /// A browser logged in as `role`, with a session opened on the platform's clock.
    fn as_role(&self, role: AccountRole) -> Browser {
        browser_on_clock(&self.base, &self.store, &self.app, &self.accounts, role)
    }

    fn head(&self) -> i64 {
        self.store.head_seq().unwrap()
    }

    /// A record of arrears about 新河街道 decided in January, reported by the finance bureau on
    /// its form and activated by the credit office on the record page.
    fn active_record(&self, provider: &mut Browser, office: &mut Browser, doc: &str) -> i64 {
        let csrf = provider.get("/console/records/new").csrf();
        let p = provider.post(
            "/console/records/new",
            &[
                ("csrf", &csrf),
                ("subject_name", roster::TOWN),
                ("uscc", &roster::uscc("WB000004")),
                ("category", "PAYMENT_ARREARS"),
                ("document_no", doc),
                ("decided_on", "2026-01-05"),
                ("authority", "天津市滨海新区财政局"),
                ("facts", "逾期未支付中小企业货款"),
                ("outcome", "责令限期支付"),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let id: i64 = p
            .location()
            .strip_prefix("/console/records/")
            .unwrap()
            .parse()
            .unwrap();
        let csrf = office.get(&format!("/console/records/{id}")).csrf();
        let p = office.post(
            &format!("/console/records/{id}/activate"),
            &[("csrf", &csrf)],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        id
    }
}

impl Site {
    /// A record of arrears about 新河街道, reported by the finance bureau on its form and waiting
    /// for the credit office's review.
    fn pending_record(&self, provider: &mut Browser, doc: &str) -> i64 {
        let csrf = provider.get("/console/records/new").csrf();
        let p = provider.post(
            "/console/records/new",
            &[
                ("csrf", &csrf),
                ("subject_name", roster::TOWN),
                ("uscc", &roster::uscc("WB000004")),
                ("category", "PAYMENT_ARREARS"),
                ("document_no", doc),
                ("decided_on", "2026-01-05"),
                ("authority", "天津市滨海新区财政局"),
                ("facts", "逾期未支付中小企业货款"),
                ("outcome", "责令限期支付"),
            ],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        p.location()
            .strip_prefix("/console/records/")
            .unwrap()
            .parse()
            .unwrap()
    }
}

/// The case a redirect leads to.
fn case_of(p: &Page) -> i64 {
    p.location()
        .strip_prefix("/console/cases/")
        .unwrap_or_else(|| panic!("not a case: {} {}", p.location(), p.body))
        .parse()
        .unwrap()
}

/// Posts a multipart form of `fields` and files (each as the field `files`, as the case forms
/// name them).
fn post_parts(
    b: &mut Browser,
    path: &str,
    fields: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> Page {
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    for (name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    b.post_multipart(path, body, false)
}

/// The number the bell shows, if any.
fn bell(p: &Page) -> Option<i64> {
    let link = between(
        &p.body,
        "class=\"bell\" href=\"/console/notifications\">",
        "</a>",
    )
    .unwrap_or_else(|| panic!("no bell: {}", p.body));
    between(&link, "<span class=\"count\">", "</span>").map(|n| n.parse().unwrap())
}

#[test]
fn a_unit_objects_and_repairs_from_its_record_and_the_provider_answers() {
    for b in backends("cases_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut office = s.as_role(AccountRole::Admin);
        let mut provider = s.as_role(AccountRole::Provider);
        let mut unit = s.as_role(AccountRole::Unit);
        let id = s.active_record(&mut provider, &mut office, "津滨财〔2026〕1号");

        // The nav leads to the cases; the unit's record page offers both cases.
        let p = unit.get(&format!("/console/records/{id}"));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body.contains(r#"href="/console/cases">案件办理</a>"#),
            "[{name}]"
        );
        assert!(
            p.body.contains(&format!(
                r#"href="/console/records/{id}/object">提出异议</a>"#
            )),
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains(&format!(
                r#"href="/console/records/{id}/repair">申请信用修复</a>"#
            )),
            "[{name}]"
        );
        // Its rectification, opened when the record came into force, is listed there.
        assert!(
            p.body.contains("相关案件") && p.body.contains("整改"),
            "[{name}]"
        );
        // The bell: the rectification's notification waits unread.
        assert_eq!(bell(&p), Some(1), "[{name}]");

        // --- The objection ----------------------------------------------------------------------
        let form = unit.get(&format!("/console/records/{id}/object"));
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(form.body.contains("异议须知") && form.body.contains("10 个工作日"));
        let csrf = form.csrf();
        let path = format!("/console/records/{id}/object");
        let head = s.head();
        let p = post_parts(&mut unit, &path, &[("csrf", &csrf), ("reasons", "  ")], &[]);
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("请填写异议理由"), "[{name}] {}", p.body);
        // A picture named as a PDF: refused by its content, the reasons kept, nothing written.
        let reasons = "该笔货款已于2025年12月支付完毕，附银行回单。";
        let p = post_parts(
            &mut unit,
            &path,
            &[("csrf", &csrf), ("reasons", reasons)],
            &[("回单.pdf", PNG)],
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("内容不是 PDF"), "[{name}] {}", p.body);
        assert!(p.body.contains(reasons), "[{name}] the reasons are kept");
        assert_eq!(s.head(), head, "[{name}] nothing journaled");
        let p = post_parts(
            &mut unit,
            &path,
            &[("csrf", &csrf), ("reasons", reasons)],
            &[("银行回单.pdf", PDF)],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(p.flash().contains("异议处理中"), "[{name}] {}", p.flash());
        let case = case_of(&p);

        // The record page says 异议处理中, lists the objection and offers no second one.
        let p = unit.get(&format!("/console/records/{id}"));
        assert!(p.body.contains("异议处理中"), "[{name}]");
        assert!(p.body.contains(&format!(r#"href="/console/cases/{case}""#)));
        assert!(
            !p.body.contains("提出异议</a>"),
            "[{name}] one objection at a time"
        );
        // An objected record waits for its objection before any repair.
        assert!(!p.body.contains("申请信用修复</a>"), "[{name}]");

        // The unit's case page: its file to download, and only a comment or a withdrawal.
        let p = unit.get(&format!("/console/cases/{case}"));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("银行回单.pdf") && p.body.contains(reasons));
        assert!(p.body.contains(r#"value="withdraw""#) && !p.body.contains(r#"value="dismiss""#));
        let href = between(&p.body, "href=\"/console/cases/", "\" download")
            .map(|h| format!("/console/cases/{h}"))
            .unwrap();
        let res = unit.request(reqwest::Method::GET, &href).send().unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}] {href}");
        let disposition = res.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            disposition.starts_with("attachment;")
                && disposition
                    .contains("filename*=UTF-8''%E9%93%B6%E8%A1%8C%E5%9B%9E%E5%8D%95.pdf"),
            "[{name}] {disposition}"
        );
        assert_eq!(res.headers()[header::CONTENT_TYPE], "application/pdf");
        assert_eq!(res.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(res.bytes().unwrap().as_ref(), PDF);
        // Another case's number with this file: not found.
        let res = unit
            .request(
                reqwest::Method::GET,
                &href.replace(&format!("/cases/{case}/"), "/cases/999/"),
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "[{name}]");

        // --- The credit office's dashboard --------------------------------------------------------
        let p = office.get("/console/cases");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("按类型") && p.body.contains("按承办单位"));
        assert!(
            p.body.contains(
                r#"<td>异议</td><td class="num"><a href="/console/cases?kind=objection&#38;state=open">1</a>"#
            ),
            "[{name}] {}",
            p.body
        );
        // The provider holds it; its line links to its cases.
        let finance = s.store.find_unit("区财政局").unwrap().id;
        assert!(
            p.body.contains(&format!(
                r#"<td>区财政局</td><td class="num"><a href="/console/cases?state=open&#38;holder={finance}">1</a>"#
            )),
            "[{name}] {}",
            p.body
        );
        let p = office.get("/console/cases?kind=objection&state=open");
        assert!(
            p.body
                .contains(&format!(r#"href="/console/cases/{case}">#{case}</a>"#))
        );
        assert!(
            !p.body
                .contains("<td>整改</td><td><a href=\"/console/cases/"),
            "[{name}] filtered by kind"
        );
        assert!(p.body.contains("剩余 10 个工作日"), "[{name}] {}", p.body);
        // Three working days before its deadline the clock marks it due soon: counted and linked.
        probity_app::cases::clock(&s.app, day("2026-06-10")).unwrap();
        let p = office.get("/console/cases");
        assert!(
            p.body.contains(
                r#"<a href="/console/cases?kind=objection&#38;state=open&#38;due=due_soon">1</a>"#
            ),
            "[{name}] {}",
            p.body
        );
        let p = office.get("/console/cases?kind=objection&state=open&due=due_soon");
        assert!(p.body.contains(&format!("#{case}</a>")), "[{name}]");
        let p = office.get("/console/cases?due=overdue");
        assert!(p.body.contains("没有符合条件的案件"), "[{name}]");
        // The same filters as Excel.
        let res = office
            .request(
                reqwest::Method::GET,
                "/console/cases.xlsx?kind=objection&state=open",
            )
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()[header::CONTENT_DISPOSITION]
                .to_str()
                .unwrap()
                .contains("filename*=UTF-8''%E6%A1%88%E4%BB%B6.xlsx")
        );
        let p = office.get("/console/cases?kind=nonsense");
        assert_eq!(p.status, StatusCode::BAD_REQUEST, "[{name}]");

        // --- The provider answers ---------------------------------------------------------------
        let p = provider.get("/console/cases");
        assert!(p.body.contains("待本单位办理"), "[{name}]");
        let mine = between(&p.body, "待本单位办理", "全部案件").unwrap();
        assert!(mine.contains(&format!("#{case}</a>")), "[{name}] {mine}");
        assert!(bell(&p).unwrap_or(0) >= 1, "[{name}] the provider was told");
        let p = provider.get(&format!("/console/cases/{case}"));
        assert!(p.body.contains(r#"value="uphold""#) && p.body.contains(r#"value="dismiss""#));
        let csrf = p.csrf();
        let step = format!("/console/cases/{case}/step");
        let p = post_parts(
            &mut provider,
            &step,
            &[("csrf", &csrf), ("action", "dismiss"), ("text", "")],
            &[],
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("请填写“驳回异议”的说明"),
            "[{name}] {}",
            p.body
        );
        let answer = "经核查，该笔货款于2026年1月10日方才支付，逾期事实成立。";
        let p = post_parts(
            &mut provider,
            &step,
            &[("csrf", &csrf), ("action", "dismiss"), ("text", answer)],
            &[],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(p.flash().contains("已驳回异议"), "[{name}] {}", p.flash());
        // Closed: nothing more to do, not even twice.
        let p = post_parts(
            &mut provider,
            &step,
            &[("csrf", &csrf), ("action", "dismiss"), ("text", answer)],
            &[],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("案件已办结"), "[{name}] {}", p.body);

        // The unit hears of it; the record is back in force; the history names who did what.
        // Opening the case reads its notification: the bell counts one less.
        let told = bell(&unit.get("/console/cases")).unwrap_or(0);
        assert!(
            told >= 2,
            "[{name}] the answer and the rectification: {told}"
        );
        let p = unit.get(&format!("/console/cases/{case}"));
        assert!(
            p.body.contains("异议不成立") && p.body.contains(answer),
            "[{name}]"
        );
        assert!(p.body.contains("驳回异议"), "[{name}]");
        let p = unit.get(&format!("/console/records/{id}"));
        assert!(p.body.contains("已生效"), "[{name}]");
        let unread = bell(&p).unwrap();
        assert_eq!(
            unread,
            told - 1,
            "[{name}] the case's own notification read"
        );
        let notes = unit.get("/console/notifications");
        assert!(notes.body.contains("异议不成立"), "[{name}] {}", notes.body);
        assert_eq!(
            notes.body.matches(r#"<tr class="unread">"#).count() as i64,
            unread
        );
        let csrf = notes.csrf();
        let p = unit.post("/console/notifications/read", &[("csrf", &csrf)]);
        assert_eq!(p.status, StatusCode::SEE_OTHER);
        assert!(
            p.flash().contains(&format!("已将 {unread} 条通知标为已读")),
            "[{name}]"
        );
        let p = unit.get("/console/notifications");
        assert_eq!(bell(&p), None, "[{name}] all read");
        assert!(p.body.contains("未读 0 条"), "[{name}]");

        // --- The repair -------------------------------------------------------------------------
        let form = unit.get(&format!("/console/records/{id}/repair"));
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(
            form.body.contains("3 个月") && form.body.contains("最早可申请日期：2026-04-05"),
            "[{name}] {}",
            form.body
        );
        assert!(form.body.contains("10 个工作日内作出决定"), "[{name}]");
        let csrf = form.csrf();
        let path = format!("/console/records/{id}/repair");
        let head = s.head();
        let p = post_parts(
            &mut unit,
            &path,
            &[("csrf", &csrf), ("statement", "已支付")],
            &[],
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("须签署信用承诺书") && p.body.contains("须已履行决定所确定的义务"),
            "[{name}] every fault at once: {}",
            p.body
        );
        assert!(p.body.contains("已支付"), "[{name}] the statement is kept");
        assert_eq!(s.head(), head, "[{name}]");
        let p = post_parts(
            &mut unit,
            &path,
            &[
                ("csrf", &csrf),
                ("commitment_signed", "1"),
                ("obligations_fulfilled", "1"),
                ("statement", "货款及利息已全部支付，并建立了付款台账。"),
            ],
            &[("信用承诺书.pdf", PDF)],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let repair = case_of(&p);
        assert!(p.flash().contains("已提交信用修复申请"), "[{name}]");
        let p = office.get(&format!("/console/cases/{repair}"));
        assert!(p.body.contains("信用承诺书：已签署"), "[{name}] {}", p.body);
        assert!(p.body.contains(r#"value="approve""#), "[{name}]");
        // A township's record: no 从轻或免于惩戒 to choose.
        assert!(!p.body.contains(r#"name="leniency""#), "[{name}]");
        let csrf = p.csrf();
        let p = post_parts(
            &mut office,
            &format!("/console/cases/{repair}/step"),
            &[("csrf", &csrf), ("action", "approve"), ("text", "")],
            &[],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let p = unit.get(&format!("/console/records/{id}"));
        assert!(p.body.contains("已修复"), "[{name}]");
        assert!(!p.body.contains("申请信用修复</a>"), "[{name}]");
    }
}

/// The proof-of-work of a form page, solved as its script does: the first counter whose SM3 hash
/// of `challenge:counter` starts with the page's number of zero bits.
fn solve(page: &str) -> (String, String) {
    let challenge = between(page, "name=\"challenge\" value=\"", "\"").unwrap();
    let bits: u32 = between(page, "data-bits=\"", "\"")
        .unwrap()
        .parse()
        .unwrap();
    let zeros = |d: &[u8]| {
        let mut n = 0;
        for b in d {
            if *b == 0 {
                n += 8;
            } else {
                return n + b.leading_zeros();
            }
        }
        n
    };
    let mut n = 0u64;
    loop {
        let d = probity_store::crypto::sm3(format!("{challenge}:{n}").as_bytes());
        if zeros(&d) >= bits {
            return (challenge, n.to_string());
        }
        n += 1;
    }
}

/// The sum the page's question asks for, as a person without JavaScript answers it.
fn sum(page: &str) -> (String, String) {
    let challenge = between(page, "name=\"challenge\" value=\"", "\"").unwrap();
    let q = between(page, "安全验证（必填）：", " 等于多少").unwrap();
    let (a, b) = q.split_once(" 加 ").unwrap();
    let s = a.parse::<u32>().unwrap() + b.parse::<u32>().unwrap();
    (challenge, s.to_string())
}

fn complaint<'a>(
    challenge: &'a str,
    pow: &'a str,
    answer: &'a str,
    content: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("subject", "新河街道"),
        ("record_id", ""),
        ("content", content),
        ("name", "王先生"),
        ("contact", "13800000000"),
        ("challenge", challenge),
        ("pow", pow),
        ("answer", answer),
    ]
}

#[test]
fn a_public_complaint_is_filed_followed_answered_closed_and_rated() {
    for b in backends("cases_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut office = s.as_role(AccountRole::Admin);
        let mut unit = s.as_role(AccountRole::Unit);
        let mut public = Browser::new(&s.base);

        // The portal links to the form; the form carries its challenge and its script.
        let home = public.get("/");
        assert!(
            home.body.contains(r#"href="/complaints/new">投诉举报</a>"#),
            "[{name}]"
        );
        let form = public.get("/complaints/new");
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        let csp = form.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        let nonce = between(&form.body, "<script nonce=\"", "\"").unwrap();
        assert!(
            csp.contains(&format!("script-src 'nonce-{nonce}'")),
            "{csp}"
        );
        assert!(form.body.contains("15 个工作日内调查答复"), "[{name}]");

        // Every fault at once, the challenge unanswered among them; nothing written.
        let head = s.head();
        let (challenge, _) = solve(&form.body);
        let p = public.post("/complaints/new", &complaint(&challenge, "", "", "太短"));
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("投诉内容过短"), "[{name}] {}", p.body);
        assert!(p.body.contains("安全验证未通过"), "[{name}] {}", p.body);
        assert!(
            p.body.contains("value=\"王先生\""),
            "[{name}] the fields are kept"
        );
        assert_eq!(s.head(), head, "[{name}]");

        // Filed with the proof-of-work: the tracking number and the query code, once.
        let content = "新河街道拖欠我公司工程款3个月未付，多次催要无果。";
        let form = public.get("/complaints/new");
        let (challenge, pow) = solve(&form.body);
        let p = public.post("/complaints/new", &complaint(&challenge, &pow, "", content));
        assert_eq!(p.status, StatusCode::CREATED, "[{name}] {}", p.body);
        assert!(p.body.contains("查询码只显示这一次"), "[{name}]");
        let tracking_no = between(&p.body, "受理编号：<span class=\"secret\">", "</span>").unwrap();
        let code = between(&p.body, "查询码：<span class=\"secret\">", "</span>").unwrap();
        assert!(
            tracking_no.starts_with("TS20260601-"),
            "[{name}] {tracking_no}"
        );
        assert!(p.body.contains(roster::TOWN), "[{name}]");
        // The same challenge again: refused, and nothing filed.
        let head = s.head();
        let p = public.post("/complaints/new", &complaint(&challenge, &pow, "", content));
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("该安全验证已使用过"), "[{name}] {}", p.body);
        assert_eq!(s.head(), head, "[{name}]");

        // The status page: a wrong code reads exactly as an unknown number.
        let status = |b: &mut Browser, no: &str, code: &str| {
            b.post("/complaints/status", &[("tracking_no", no), ("code", code)])
        };
        let wrong = status(&mut public, &tracking_no, "ABCDEFGH");
        let unknown = status(&mut public, "TS20260601-0999", &code);
        assert_eq!(wrong.status, StatusCode::NOT_FOUND, "[{name}]");
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "[{name}]");
        let said =
            |p: &Page| between(&p.body, "<p class=\"error\" role=\"alert\">", "</p>").unwrap();
        assert_eq!(said(&wrong), said(&unknown), "[{name}]");
        assert_eq!(said(&wrong), "未找到该投诉：请核对受理编号和查询码");
        let p = status(
            &mut public,
            &tracking_no.to_lowercase(),
            &code.to_lowercase(),
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body.contains("待处理") && p.body.contains(content),
            "[{name}]"
        );
        assert!(!p.body.contains("评价答复"), "[{name}] nothing to rate yet");

        // The unit complained about does not see it before it is routed to it.
        let p = unit.get("/console/cases?kind=complaint");
        assert!(p.body.contains("没有符合条件的案件"), "[{name}]");

        // The credit office sees it (with the contact), and routes it to 新河街道.
        let p = office.get("/console/cases?kind=complaint");
        assert!(p.body.contains(&tracking_no), "[{name}]");
        let case: i64 = between(&p.body, "<td><a href=\"/console/cases/", "\">")
            .unwrap()
            .parse()
            .unwrap();
        let p = office.get(&format!("/console/cases/{case}"));
        assert!(
            p.body.contains("王先生，13800000000"),
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("来自网站"), "[{name}]");
        let csrf = p.csrf();
        let step = format!("/console/cases/{case}/step");
        let p = post_parts(
            &mut office,
            &step,
            &[
                ("csrf", &csrf),
                ("action", "route"),
                ("unit", "不存在的单位"),
            ],
            &[],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("名录中没有单位"), "[{name}] {}", p.body);
        assert!(p.body.contains("value=\"不存在的单位\""), "[{name}] kept");
        let p = post_parts(
            &mut office,
            &step,
            &[("csrf", &csrf), ("action", "route"), ("unit", "新河街道")],
            &[],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);

        // The unit answers it: told by the bell, the contact not shown to it.
        let p = unit.get(&format!("/console/cases/{case}"));
        assert!(bell(&p).unwrap_or(0) >= 1, "[{name}]");
        assert!(
            !p.body.contains("13800000000"),
            "[{name}] the contact is the office's"
        );
        assert!(p.body.contains(r#"value="answer""#), "[{name}]");
        let csrf = p.csrf();
        let answer = "经查，该工程款因结算争议延迟支付，现已支付完毕并向企业致歉。";
        let p = post_parts(
            &mut unit,
            &step,
            &[("csrf", &csrf), ("action", "answer"), ("text", answer)],
            &[],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("请选择调查结论"), "[{name}] {}", p.body);
        let p = post_parts(
            &mut unit,
            &step,
            &[
                ("csrf", &csrf),
                ("action", "answer"),
                ("finding", "founded"),
                ("text", answer),
            ],
            &[],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);

        // The credit office closes it on the answer's finding: a draft record is raised.
        let p = office.get(&format!("/console/cases/{case}"));
        assert!(
            p.body
                .contains(r#"<option value="founded" selected>属实</option>"#),
            "[{name}] the answer's finding is the default: {}",
            p.body
        );
        let csrf = p.csrf();
        let p = post_parts(
            &mut office,
            &step,
            &[("csrf", &csrf), ("action", "close"), ("finding", "founded")],
            &[],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let p = office.get(&format!("/console/cases/{case}"));
        assert!(p.body.contains("失信记录草稿 #"), "[{name}] {}", p.body);

        // The complainant reads the answer, without any staff name, and rates it once.
        let p = status(&mut public, &tracking_no, &code);
        assert!(
            p.body.contains(answer) && p.body.contains("承办单位"),
            "[{name}]"
        );
        assert!(p.body.contains("投诉属实"), "[{name}] {}", p.body);
        for staff in ["cp_admin", "cp_unit", "cp_provider"] {
            assert!(
                !p.body.contains(staff),
                "[{name}] {staff} shown to the public"
            );
        }
        assert!(p.body.contains("评价答复"), "[{name}]");
        let rate = |b: &mut Browser, stars: &str| {
            b.post(
                "/complaints/rating",
                &[
                    ("tracking_no", &tracking_no),
                    ("code", &code),
                    ("stars", stars),
                    ("note", "处理及时"),
                ],
            )
        };
        let p = rate(&mut public, "9");
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        let p = rate(&mut public, "4");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("感谢您的评价") && p.body.contains("您的评价：4 星"));
        assert!(!p.body.contains("评价答复"), "[{name}] rated once");
        let p = rate(&mut public, "5");
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("已评价过"), "[{name}] {}", p.body);
        let p = public.post(
            "/complaints/rating",
            &[
                ("tracking_no", &tracking_no),
                ("code", "WRONG"),
                ("stars", "5"),
            ],
        );
        assert_eq!(p.status, StatusCode::NOT_FOUND, "[{name}]");
        let p = office.get(&format!("/console/cases/{case}"));
        assert!(p.body.contains("投诉人评价：4 星"), "[{name}]");

        // Without JavaScript: the question instead. A wrong sum is refused, the right one files.
        let form = public.get("/complaints/new");
        let (challenge, right) = sum(&form.body);
        let wrong = (right.parse::<u32>().unwrap() + 1).to_string();
        let p = public.post(
            "/complaints/new",
            &complaint(&challenge, "", &wrong, content),
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("安全验证未通过"), "[{name}]");
        let p = public.post(
            "/complaints/new",
            &complaint(&challenge, "", &right, content),
        );
        assert_eq!(p.status, StatusCode::CREATED, "[{name}] {}", p.body);

        // The third complaint this hour from this address is filed; the fourth is not.
        let form = public.get("/complaints/new");
        let (challenge, pow) = solve(&form.body);
        let p = public.post("/complaints/new", &complaint(&challenge, &pow, "", content));
        assert_eq!(p.status, StatusCode::CREATED, "[{name}] {}", p.body);
        let form = public.get("/complaints/new");
        let (challenge, pow) = solve(&form.body);
        let head = s.head();
        let p = public.post("/complaints/new", &complaint(&challenge, &pow, "", content));
        assert_eq!(
            p.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("提交投诉过于频繁"), "[{name}] {}", p.body);
        assert!(p.headers.contains_key(header::RETRY_AFTER), "[{name}]");
        assert_eq!(s.head(), head, "[{name}] nothing filed");

        // The credit office enters a hotline call: every fault at once, then the number and code.
        let form = office.get("/console/complaints/new");
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(
            form.body
                .contains(r#"href="/console/complaints/new">投诉登记</a>"#)
        );
        let csrf = form.csrf();
        let p = office.post(
            "/console/complaints/new",
            &[
                ("csrf", &csrf),
                ("channel", "hotline"),
                ("subject", "大沽街道"),
                ("record_id", "第三条"),
                ("content", ""),
            ],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("记录编号应为数字") && p.body.contains("投诉内容为空"));
        assert!(p.body.contains("value=\"大沽街道\""), "[{name}]");
        let p = office.post(
            "/console/complaints/new",
            &[
                ("csrf", &csrf),
                ("channel", "hotline"),
                ("subject", "大沽街道"),
                ("content", "来电反映大沽街道未按承诺时限办结营业执照变更。"),
            ],
        );
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("查询码只显示这一次"), "[{name}]");
        let no = between(&p.body, "受理编号：<span class=\"secret\">", "</span>").unwrap();
        let code = between(&p.body, "查询码：<span class=\"secret\">", "</span>").unwrap();
        let p = status(&mut public, &no, &code);
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains(roster::OTHER_TOWN), "[{name}]");
    }
}

/// The fields of a report of an error as the record's form posts them.
fn correction<'a>(
    challenge: &'a str,
    pow: &'a str,
    answer: &'a str,
    reasons: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("reasons", reasons),
        ("name", "李先生"),
        ("contact", "13900000000"),
        ("challenge", challenge),
        ("pow", pow),
        ("answer", answer),
    ]
}

#[test]
fn a_member_of_the_public_reports_an_error_from_the_record_page() {
    for b in backends("cases_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut office = s.as_role(AccountRole::Admin);
        let mut provider = s.as_role(AccountRole::Provider);
        let mut public = Browser::new(&s.base);
        let rec = s.active_record(&mut provider, &mut office, "津滨财〔2026〕31号");
        let other = s.active_record(&mut provider, &mut office, "津滨财〔2026〕32号");
        let third = s.active_record(&mut provider, &mut office, "津滨财〔2026〕34号");
        let pending = s.pending_record(&mut provider, "津滨财〔2026〕33号");

        // The record's public page links to the form; the form shows what is reported on.
        let page = public.get(&format!("/records/{rec}"));
        assert_eq!(page.status, StatusCode::OK, "[{name}] {}", page.body);
        let link = format!(r#"href="/records/{rec}/correction">纠错</a>"#);
        assert!(page.body.contains(&link), "[{name}] {}", page.body);
        let form = public.get(&format!("/records/{rec}/correction"));
        assert_eq!(form.status, StatusCode::OK, "[{name}] {}", form.body);
        assert!(form.body.contains("津滨财〔2026〕31号"), "[{name}]");
        assert!(form.body.contains("10 个工作日内核查答复"), "[{name}]");
        let csp = form.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        let nonce = between(&form.body, "<script nonce=\"", "\"").unwrap();
        assert!(
            csp.contains(&format!("script-src 'nonce-{nonce}'")),
            "{csp}"
        );
        let (challenge, pow) = solve(&form.body);
        let reasons = "该记录的决定日期有误：决定书落款为2026年1月8日，不是1月5日。";

        // A record the public does not see: no form, and a post reads as for an unknown id;
        // nothing written.
        let head = s.head();
        let unknown = public.get("/records/999999/correction");
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "[{name}]");
        let p = public.get(&format!("/records/{pending}/correction"));
        assert_eq!(p.status, StatusCode::NOT_FOUND, "[{name}]");
        assert_eq!(p.body, unknown.body, "[{name}]");
        for id in [pending.to_string(), "999999".to_string()] {
            let p = public.post(
                &format!("/records/{id}/correction"),
                &correction(&challenge, &pow, "", reasons),
            );
            assert_eq!(p.status, StatusCode::NOT_FOUND, "[{name}] {id}");
            assert_eq!(p.body, unknown.body, "[{name}] {id}");
        }
        // Every fault at once, the challenge unanswered among them; the fields kept.
        let path = format!("/records/{rec}/correction");
        let p = public.post(&path, &correction(&challenge, "", "", "有误"));
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(p.body.contains("纠错理由过短"), "[{name}] {}", p.body);
        assert!(p.body.contains("安全验证未通过"), "[{name}] {}", p.body);
        assert!(p.body.contains("value=\"李先生\""), "[{name}]");
        assert_eq!(s.head(), head, "[{name}] a refusal changes nothing");
        assert_eq!(b.store.record(pending).unwrap().state.code(), "submitted");

        // Filed with the proof-of-work: the tracking number and the query code, once.
        let p = public.post(&path, &correction(&challenge, &pow, "", reasons));
        assert_eq!(p.status, StatusCode::CREATED, "[{name}] {}", p.body);
        assert!(p.body.contains("查询码只显示这一次"), "[{name}]");
        assert!(p.body.contains(r#"href="/complaints/status""#), "[{name}]");
        let tracking_no = between(&p.body, "受理编号：<span class=\"secret\">", "</span>").unwrap();
        let code = between(&p.body, "查询码：<span class=\"secret\">", "</span>").unwrap();
        assert_eq!(tracking_no, "JC20260601-0001", "[{name}]");
        // The record shows 异议处理中, and takes no second report while it is open.
        let page = public.get(&format!("/records/{rec}"));
        assert!(page.body.contains("异议处理中"), "[{name}]");
        assert!(!page.body.contains(&link), "[{name}]");
        let head = s.head();
        let form = public.get(&format!("/records/{other}/correction"));
        let (challenge, pow) = solve(&form.body);
        let p = public.post(&path, &correction(&challenge, &pow, "", reasons));
        assert_eq!(p.status, StatusCode::CONFLICT, "[{name}] {}", p.body);
        assert!(
            p.body.contains("该记录已有异议正在处理"),
            "[{name}] {}",
            p.body
        );
        assert_eq!(s.head(), head, "[{name}]");

        // Without JavaScript, the question instead; then the client's limit (3 an hour, the
        // complaints' limit): the fourth is refused.
        let form = public.get(&format!("/records/{other}/correction"));
        let (challenge, right) = sum(&form.body);
        let other_path = format!("/records/{other}/correction");
        let p = public.post(&other_path, &correction(&challenge, "", &right, reasons));
        assert_eq!(p.status, StatusCode::CREATED, "[{name}] {}", p.body);
        let form = public.get(&format!("/records/{third}/correction"));
        let (challenge, pow) = solve(&form.body);
        let head = s.head();
        let p = public.post(
            &format!("/records/{third}/correction"),
            &correction(&challenge, &pow, "", reasons),
        );
        assert_eq!(
            p.status,
            StatusCode::TOO_MANY_REQUESTS,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("提交纠错过于频繁"), "[{name}] {}", p.body);
        assert!(p.headers.contains_key(header::RETRY_AFTER), "[{name}]");
        assert_eq!(s.head(), head, "[{name}] nothing filed");
        assert_eq!(b.store.record(third).unwrap().state.code(), "active");

        // The provider is told, reads it without the reporter's contact, and dismisses it.
        let case = b
            .store
            .case_by_tracking_no(&tracking_no)
            .unwrap()
            .unwrap()
            .id;
        let p = provider.get("/console/cases?kind=objection");
        assert!(p.body.contains(&tracking_no), "[{name}] {}", p.body);
        let p = provider.get(&format!("/console/cases/{case}"));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(bell(&p).unwrap_or(0) >= 1, "[{name}]");
        assert!(p.body.contains(reasons), "[{name}]");
        assert!(
            !p.body.contains("13900000000"),
            "[{name}] the contact is the office's"
        );
        let p = office.get(&format!("/console/cases/{case}"));
        assert!(p.body.contains("李先生，13900000000"), "[{name}]");
        let csrf = provider.get(&format!("/console/cases/{case}")).csrf();
        let answer = "经核实，决定书落款日期为2026年1月5日，记录无误，维持公示。";
        let p = post_parts(
            &mut provider,
            &format!("/console/cases/{case}/step"),
            &[("csrf", &csrf), ("action", "dismiss"), ("text", answer)],
            &[],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let page = public.get(&format!("/records/{rec}"));
        assert!(page.body.contains("公示中"), "[{name}]");
        assert!(page.body.contains(&link), "[{name}]");

        // The reporter reads the answer where complaints are followed, never a staff name.
        let p = public.get("/complaints/status");
        assert!(p.body.contains("投诉和纠错查询"), "[{name}]");
        let status = |b: &mut Browser, no: &str, code: &str| {
            b.post("/complaints/status", &[("tracking_no", no), ("code", code)])
        };
        let p = status(&mut public, &tracking_no, &code);
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        for said in [
            answer,
            reasons,
            "报送单位",
            "纠错人",
            "异议不成立",
            "驳回异议",
        ] {
            assert!(p.body.contains(said), "[{name}] {said}: {}", p.body);
        }
        assert!(
            p.body.contains(&format!(r#"href="/records/{rec}""#)),
            "[{name}]"
        );
        for staff in ["cp_admin", "cp_unit", "cp_provider"] {
            assert!(!p.body.contains(staff), "[{name}] {staff} shown");
        }
        assert!(!p.body.contains("评价答复"), "[{name}] nothing to rate");
        let wrong = status(&mut public, &tracking_no, "ABCDEFGH");
        let unknown = status(&mut public, "JC20260601-0999", &code);
        assert_eq!(wrong.status, StatusCode::NOT_FOUND, "[{name}]");
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "[{name}]");
        let said =
            |p: &Page| between(&p.body, "<p class=\"error\" role=\"alert\">", "</p>").unwrap();
        assert_eq!(said(&wrong), said(&unknown), "[{name}]");
        assert_eq!(said(&wrong), "未找到该纠错：请核对受理编号和查询码");
    }
}

#[test]
fn the_rules_page_names_the_periods_and_deadlines_of_cases() {
    let b = backends("cases_pages").remove(0);
    let s = Site::start(&b.store);
    let mut public = Browser::new(&s.base);
    let p = public.get("/rules");
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    for said in [
        "轻微失信信息：履行义务、纠正失信行为后即可申请",
        "一般失信信息：自决定日期起公示满 3 个月后可申请",
        "严重失信信息：自决定日期起公示满 1 年后可申请",
        "报送该记录的单位在 10 个工作日内核查答复",
        "信用办在 10 个工作日内作出是否准予修复的决定",
        "决定机关在 3 个工作日内回复",
        "信用办在 3 个工作日内转交负责的单位，承办单位在转办后 15 个工作日内调查答复",
        "任何人发现公示记录有误，都可以在该记录页面点击“纠错”",
        "凭二者在“<a href=\"/complaints/status\">投诉和纠错查询</a>”",
        "<td>拖欠企业账款</td>",
    ] {
        assert!(p.body.contains(said), "{said}: {}", p.body);
    }
    // The category's own rectification days, from the catalog.
    assert!(
        p.body.contains("<td>可申请</td><td>10 个工作日</td>"),
        "{}",
        p.body
    );
}

/// The form's script in a real browser: it hides the question, proves the work, and the form is
/// filed without the complainant doing anything but write the complaint. Skipped (with a notice)
/// where Chromium is not installed, as the other browser tests are.
#[test]
fn the_complaint_forms_script_proves_the_work_in_chromium() {
    use fantoccini::Locator;
    if !crate::browser::browser_available() {
        return;
    }
    let b = backends("cases_pages").remove(0);
    let s = Site::start(&b.store);
    let dir = tempfile::tempdir().unwrap();
    let driver = crate::browser::Driver::start(dir.path());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let base = s.base.clone();
    let outcome: Result<String, String> = rt.block_on(async {
        let c = crate::browser::connect(&driver.url, &dir.path().join("profile")).await;
        let run = async {
            let e = |e: fantoccini::error::CmdError| e.to_string();
            c.goto(&format!("{base}/complaints/new")).await.map_err(e)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            loop {
                let said = c
                    .find(Locator::Css("#pow-status"))
                    .await
                    .map_err(e)?
                    .text()
                    .await
                    .map_err(e)?;
                if said.contains("安全验证已完成") {
                    break;
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!("the script did not finish: “{said}”"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            let question = c.find(Locator::Css("#captcha")).await.map_err(e)?;
            if question.is_displayed().await.map_err(e)? {
                return Err("the question is still shown with the script running".into());
            }
            let field = |css: &'static str| c.find(Locator::Css(css));
            field("input[name=subject]")
                .await
                .map_err(e)?
                .send_keys("新河街道")
                .await
                .map_err(e)?;
            field("textarea[name=content]")
                .await
                .map_err(e)?
                .send_keys("新河街道承诺的审批时限未兑现，已超期两个月。")
                .await
                .map_err(e)?;
            field("#complaint-form button[type=submit]")
                .await
                .map_err(e)?
                .click()
                .await
                .map_err(e)?;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
            loop {
                // While the form's answer loads, the old body is gone and the new one not yet
                // there: read again until the deadline rather than fail on that moment.
                let text = match c.find(Locator::Css("body")).await {
                    Ok(body) => body.text().await.unwrap_or_default(),
                    Err(_) => String::new(),
                };
                if text.contains("投诉已受理") {
                    return Ok(text);
                }
                if std::time::Instant::now() > deadline {
                    return Err(format!("not filed; the page says:\n{text}"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        };
        let r = run.await;
        let _ = c.close().await;
        r
    });
    let text = outcome.unwrap_or_else(|e| panic!("{e}\n{}", driver.log_tail()));
    assert!(text.contains("查询码"), "{text}");
}

#[test]
fn the_credit_office_edits_the_case_deadlines_on_its_page() {
    for b in backends("cases_deadline_page") {
        let name = b.name;
        let site = Site::start(&b.store);
        let mut office = site.as_role(AccountRole::Admin);
        let p = office.get("/console/cases/deadlines");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("异议答复期限"), "[{name}]");
        assert!(p.body.contains("尚未修改，使用规定的默认期限"), "[{name}]");
        assert!(
            p.body.contains("name=\"objection_days\" value=\"10\""),
            "[{name}] the saved value in the field"
        );
        let csrf = p.csrf();
        let form = |objection: &'static str, answer: &'static str| {
            vec![
                ("objection_days", objection),
                ("repair_decision_days", "10"),
                ("repair_consult_days", "3"),
                ("rectification_days", "20"),
                ("rectification_review_days", "10"),
                ("rectification_return_days", "10"),
                ("complaint_route_days", "3"),
                ("complaint_answer_days", answer),
                ("complaint_close_days", "5"),
                ("dispute_window_days", "5"),
                ("dispute_answer_days", "10"),
                ("due_soon_days", "3"),
                ("repair_minor_months", "0"),
                ("repair_ordinary_months", "3"),
                ("repair_grave_months", "12"),
            ]
        };
        // Every problem at once, each at its field, what was typed kept; nothing saved.
        let head = site.head();
        let mut bad = form("十天", "0");
        bad.push(("csrf", &csrf));
        let p = office.post("/console/cases/deadlines", &bad);
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "[{name}]");
        assert!(
            p.body
                .contains("异议答复期限应为整数（工作日），现为“十天”"),
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body
                .contains("投诉答复期限应在 1 至 250 个工作日之间，现为 0"),
            "[{name}]"
        );
        assert!(
            p.body.contains("value=\"十天\""),
            "[{name}] the typed value kept"
        );
        assert_eq!(site.head(), head, "[{name}] nothing saved");

        let mut good = form("12", "15");
        good.push(("csrf", &csrf));
        let p = office.post("/console/cases/deadlines", &good);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(p.flash().contains("已保存案件期限设置"), "[{name}]");
        let p = office.get("/console/cases/deadlines");
        assert!(
            p.body.contains("name=\"objection_days\" value=\"12\""),
            "[{name}]"
        );
        assert!(p.body.contains("信用办最近修改于"), "[{name}]");
        assert_eq!(
            probity_app::cases::deadlines(&site.app)
                .unwrap()
                .objection_days,
            12
        );
        // The rules page says the new number.
        let rules = reqwest::blocking::get(format!("{}/rules", site.base))
            .unwrap()
            .text()
            .unwrap();
        assert!(rules.contains("12 个工作日"), "[{name}]");

        // Only the credit office.
        let mut unit = site.as_role(AccountRole::Unit);
        assert_eq!(
            unit.get("/console/cases/deadlines").status,
            StatusCode::FORBIDDEN
        );
    }
}

#[test]
fn the_credit_office_is_warned_before_the_calendar_runs_out() {
    let b = backends("cases_calendar_warning").remove(0);
    let site = Site::start(&b.store);
    let warning = "工作日历尚无 2027 年";
    // June: nothing to import yet.
    let mut office = site.as_role(AccountRole::Admin);
    let p = office.get("/console/cases");
    assert_eq!(p.status, StatusCode::OK);
    assert!(!p.body.contains(warning));
    // From November, next year's holidays are due: the dashboard and the calendar say so.
    let at = probity_app::Clock::on_beijing_day(day("2026-11-16")).now();
    site.app.clock().set(at);
    let mut office = site.as_role(AccountRole::Admin);
    for path in ["/console/cases", "/console/calendar"] {
        let p = office.get(path);
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert!(p.body.contains(warning), "{path}: {}", p.body);
    }
    // A unit is not asked to import calendars.
    let mut unit = site.as_role(AccountRole::Unit);
    assert!(!unit.get("/console/cases").body.contains(warning));
}
