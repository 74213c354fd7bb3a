//! Cases with deadlines walked through in headless Chromium, against a real server loaded with
//! the demo district (SQLite: what the pages do does not depend on the database), each walk in a
//! browser of its own so that the two run side by side:
//!
//! - a complaint: a member of the public files one on the portal's form (the page's script does
//!   the proof-of-work) and notes the tracking number and query code; the credit office routes it
//!   to 新北街道; the township hears of it by the bell and answers it with a report attached; the
//!   public reads the history and the answer (no staff name in it) and rates the answer; a wrong
//!   code reads exactly as an unknown number;
//! - a repair: a record of arrears about 新北街道, public and past its three months, is found by
//!   the public search and on the township's profile; the township applies for credit repair from
//!   its file with its proof of payment and its signed 信用承诺书; the credit office approves;
//!   the record leaves the search and the profile, and the township's file shows it 已修复 with
//!   its repair case.
//!
//! Screenshots of each step land in `target/browser-screenshots/cases/`. Skipped without
//! Chromium (and failing under CI), as `browser.rs` is.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{Datelike, Days, NaiveDate};
use fantoccini::{Client, Locator};
use probity_app::demo::DEMO_PASSWORD;
use probity_domain::record::{Action, RecordRow};
use probity_store::{RecordFilter, Store, Subject};
use probity_testkit::{Server, backends, totp_code};

use crate::browser::{
    Driver, Res, body_text, browser_available, click, connect, element_text, ensure, submit,
    type_into, wait_css, wait_flash, wait_path, wait_text,
};

/// Turns a WebDriver error into the walk's error, with the line it happened on.
macro_rules! here {
    () => {
        |e| format!("browser_cases.rs:{}: {e}", line!())
    };
}

/// The township the walks are about: the demo's unit account `xinbei` acts for it.
const TOWN: &str = "新北街道";

/// The demo accounts that act in the walks: the credit office, the township.
const OFFICE: &str = "xinyongban";
const UNIT: &str = "xinbei";

/// A one-page PDF saying `line` (ASCII), with its cross-reference table: what a scanner
/// produces, in small.
fn pdf(line: &str) -> Vec<u8> {
    let text = format!("BT /F1 12 Tf 72 720 Td ({line}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".into(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>".into(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".into(),
    ];
    let mut out = String::from("%PDF-1.4\n");
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.push_str(&format!("{} 0 obj\n{o}\nendobj\n", i + 1));
    }
    let xref = out.len();
    out.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for at in offsets {
        out.push_str(&format!("{at:010} 00000 n \n"));
    }
    out.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    out.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// The platform and the browser

/// The demo district on a store, on the working-day calendar of this year and the next.
pub(crate) fn demo_district(store: &Store, today: NaiveDate) {
    cover_calendar(store, today);
    let loaded = probity_app::demo::load_demo(store, today).unwrap();
    assert!(
        matches!(loaded, probity_app::demo::DemoLoad::Loaded { .. }),
        "{loaded:?}"
    );
}

/// The walks run on the system's clock, as `serve` does, and their deadlines are counted in
/// working days. The platform ships the State Council's years; a year it does not know yet (this
/// one or the next, where a deadline may fall) is given a year with one holiday, its first
/// weekday, as the credit office would import it, so that the walks do not stop working when
/// the shipped years run out.
fn cover_calendar(store: &Store, today: NaiveDate) {
    let app = probity_app::App::new(store.clone(), probity_app::Clock::system());
    let known: Vec<i32> = probity_app::calendar::current(&app)
        .unwrap()
        .years()
        .collect();
    let mut table = String::from("日期,类型,名称\n");
    let mut missing = false;
    for year in [today.year(), today.year() + 1] {
        if known.contains(&year) {
            continue;
        }
        missing = true;
        let mut day = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
        while day.weekday().number_from_monday() > 5 {
            day = day.succ_opt().unwrap();
        }
        table.push_str(&format!("{day},放假,元旦\n"));
    }
    if missing {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("工作日历.csv");
        std::fs::write(&path, table).unwrap();
        probity_app::calendar::import(&app, "test", &path).unwrap();
    }
}

/// The screenshots of one walk: `target/browser-screenshots/cases/<walk>-<step>.png`, this run's
/// only (the other walk's, taken at the same time, are left alone).
pub(crate) fn shots_of(walk: &str) -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp
        .parent()
        .unwrap_or(tmp)
        .join("browser-screenshots")
        .join("cases");
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = format!("{walk}-");
    for e in std::fs::read_dir(&dir).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
    dir
}

/// Where a walk goes and where its screenshots go.
pub(crate) struct Walk {
    pub(crate) base: String,
    pub(crate) shots: PathBuf,
    pub(crate) name: &'static str,
}

impl Walk {
    pub(crate) async fn goto(&self, c: &Client, path: &str) -> Res {
        c.goto(&format!("{}{path}", self.base))
            .await
            .map_err(here!())
    }

    /// A screenshot of the whole page (the window stretched to the page's height for it).
    pub(crate) async fn shot(&self, c: &Client, step: &str) -> Res {
        let (width, height) = c.get_window_size().await.map_err(here!())?;
        let extra = c
            .execute(
                "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];",
                vec![],
            )
            .await
            .map_err(here!())?;
        let num = |i: usize| extra.get(i).and_then(|v| v.as_u64()).unwrap_or(0);
        let full = (num(0) + num(1)).clamp(height, 6000);
        if full > height {
            c.set_window_size(width as u32, full as u32)
                .await
                .map_err(here!())?;
        }
        let png = c.screenshot().await.map_err(here!());
        if full > height {
            c.set_window_size(width as u32, height as u32)
                .await
                .map_err(here!())?;
        }
        let path = self.shots.join(format!("{}-{step}.png", self.name));
        std::fs::write(&path, png?).map_err(here!())
    }
}

/// chromedriver with one Chromium session, and the runtime that drives it; closed when dropped.
pub(crate) struct Chromium {
    pub(crate) client: Client,
    rt: tokio::runtime::Runtime,
    driver: Driver,
    _dir: tempfile::TempDir,
}

impl Chromium {
    pub(crate) fn start() -> Chromium {
        let dir = tempfile::tempdir().unwrap();
        let driver = Driver::start(dir.path());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = rt.block_on(connect(&driver.url, &dir.path().join("profile")));
        Chromium {
            client,
            rt,
            driver,
            _dir: dir,
        }
    }

    /// Runs one part of a walk; a failure is a screenshot and a panic with the driver's log.
    pub(crate) fn run<T>(&self, walk: &Walk, part: impl Future<Output = Res<T>>) -> T {
        match self.rt.block_on(part) {
            Ok(t) => t,
            Err(e) => {
                let _ = self.rt.block_on(walk.shot(&self.client, "99-failure"));
                panic!(
                    "[{}] {e}\n--- chromedriver log (tail) ---\n{}",
                    walk.name,
                    self.driver.log_tail()
                );
            }
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let _ = self.rt.block_on(self.client.clone().close());
    }
}

/// Logs in through the form; an administrator who has no second factor yet enrols one on the
/// page it is sent to, with the code of the moment (as `browser.rs` does), and lands on the
/// 工作台.
pub(crate) async fn login(c: &Client, w: &Walk, name: &str) -> Res {
    w.goto(c, "/login").await?;
    wait_text(c, "动态口令").await?;
    type_into(c, "form[action='/login'] input[name='name']", name).await?;
    type_into(
        c,
        "form[action='/login'] input[name='password']",
        DEMO_PASSWORD,
    )
    .await?;
    click(c, "form[action='/login'] button[type='submit']").await?;
    // Logged in: the header's logout button, on the 工作台 or on the enrolment page.
    wait_css(c, "form[action='/logout']").await?;
    let at = c.current_url().await.map_err(here!())?;
    if at.path() == "/console/totp" {
        wait_text(c, "确认绑定").await?;
        let secret = element_text(c, "#totp-secret").await?;
        type_into(
            c,
            "form[action='/console/totp'] input[name='code']",
            &totp_code(&secret),
        )
        .await?;
        click(c, "form[action='/console/totp'] button[type='submit']").await?;
        let flash = wait_flash(c).await?;
        ensure(flash.contains("已启用动态口令"), || {
            format!("{name}'s second factor: {flash}")
        })?;
    }
    wait_path(c, "/console").await?;
    let text = wait_text(c, "工作台").await?;
    ensure(text.contains(name), || format!("{name}'s 工作台:\n{text}"))
}

pub(crate) async fn logout(c: &Client) -> Res {
    click(c, "form[action='/logout'] button[type='submit']").await?;
    wait_path(c, "/login").await
}

/// Follows the console's navigation to the page it calls `label`.
pub(crate) async fn nav(c: &Client, label: &str) -> Res {
    let link = c
        .find(Locator::XPath(&format!(
            "//nav[contains(@class, 'nav')]//a[normalize-space(.) = '{label}']"
        )))
        .await
        .map_err(|e| format!("no “{label}” in the navigation: {e}"))?;
    submit(c, link).await
}

/// Clicks the first link matching `css` and waits for the page it leads to.
pub(crate) async fn follow(c: &Client, css: &str) -> Res {
    match c.find(Locator::Css(css)).await {
        Ok(link) => submit(c, link).await,
        Err(e) => Err(format!(
            "no link {css} at {:?}: {e}\n{}",
            c.current_url().await.map(|u| u.to_string()),
            body_text(c).await
        )),
    }
}

/// The step form of a case page for `action` (`route`, `answer`, `approve` …).
async fn step_form(c: &Client, action: &str) -> Res<fantoccini::elements::Element> {
    let xpath =
        format!("//form[contains(@action, '/step')][input[@name='action' and @value='{action}']]");
    match c.find(Locator::XPath(&xpath)).await {
        Ok(form) => Ok(form),
        Err(e) => Err(format!(
            "no “{action}” form on the case page: {e}\n{}",
            body_text(c).await
        )),
    }
}

/// The id at the end of the browser's path (`/console/cases/12` → 12).
async fn id_in_path(c: &Client) -> Res<i64> {
    let url = c.current_url().await.map_err(here!())?;
    url.path()
        .rsplit('/')
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no id in {url}"))
}

// ---------------------------------------------------------------------------------------------
// The complaint

/// What the complaint walk knows before the browser starts.
struct ComplaintFacts {
    /// A record of the township the public sees, for the complaint to name.
    record: i64,
    /// The answer's attachment, on disk for the file field.
    report: PathBuf,
    /// The names (account and holder) of the staff who act: none may reach the public.
    staff: Vec<String>,
}

#[test]
fn a_complaint_is_filed_routed_answered_and_rated_in_chromium() {
    if !browser_available() {
        return;
    }
    let Some(b) = backends("browser_cases").into_iter().next() else {
        return;
    };
    let started = Instant::now();
    let today = probity_app::today();
    demo_district(&b.store, today);
    let town = b.store.find_unit(TOWN).unwrap();
    let record = public_records_of(&b.store, &town, today)[0];
    let mut staff = Vec::new();
    for name in [OFFICE, UNIT] {
        let a = b.store.account_by_name(name).unwrap().unwrap();
        assert!(!a.real_name.is_empty(), "{name} has a holder");
        staff.extend([a.name, a.real_name]);
    }
    let work = tempfile::tempdir().unwrap();
    let report = work.path().join("核查情况报告.pdf");
    std::fs::write(&report, pdf("complaint report")).unwrap();
    let facts = ComplaintFacts {
        record,
        report,
        staff,
    };

    let server = Server::start(&b.store);
    let walk = Walk {
        base: server.base.clone(),
        shots: shots_of("complaint"),
        name: "complaint",
    };
    let chromium = Chromium::start();
    chromium.run(&walk, complaint(&chromium.client, &walk, &facts));
    drop(chromium);
    drop(server);
    eprintln!(
        "complaint walk: {:?}, screenshots in {}",
        started.elapsed(),
        walk.shots.display()
    );
}

/// The dishonest records of `unit` its public profile shows today (ids).
fn public_records_of(store: &Store, unit: &Subject, today: NaiveDate) -> Vec<i64> {
    let app = probity_app::App::new(store.clone(), probity_app::Clock::system());
    let uscc = unit.uscc.as_deref().unwrap();
    let profile = probity_app::public::profile_today(&app, uscc)
        .unwrap_or_else(|e| panic!("{uscc}'s profile: {e:?}"));
    let ids: Vec<i64> = profile.dishonest.iter().map(|r| r.id).collect();
    assert!(
        !ids.is_empty(),
        "the demo shows {} records on {today}",
        unit.name
    );
    ids
}

async fn complaint(c: &Client, w: &Walk, f: &ComplaintFacts) -> Res {
    // --- 1. The public files a complaint from the portal's home page --------------------------
    w.goto(c, "/").await?;
    wait_text(c, "最新公示").await?;
    follow(c, "a[href='/complaints/new']").await?;
    wait_text(c, "投诉举报").await?;
    // The page's script works out the proof-of-work, saying so, and hides the question meant
    // for browsers without JavaScript.
    wait_css(c, "#pow-status:not([hidden])").await?;
    type_into(c, "#complaint-form input[name='subject']", TOWN).await?;
    type_into(
        c,
        "#complaint-form input[name='record_id']",
        &f.record.to_string(),
    )
    .await?;
    let content = "新北街道拖欠我公司道路养护工程款已逾三个月，多次催要无果，请督促支付。";
    type_into(c, "#complaint-form textarea[name='content']", content).await?;
    type_into(c, "#complaint-form input[name='name']", "李女士").await?;
    type_into(c, "#complaint-form input[name='contact']", "13912345678").await?;
    let question = c.find(Locator::Id("captcha")).await.map_err(here!())?;
    ensure(!question.is_displayed().await.map_err(here!())?, || {
        "the question is shown although the script runs".into()
    })?;
    w.shot(c, "01-form").await?;
    // Sent at once: a form whose proof is not finished yet is sent by the script when it is.
    click(c, "#complaint-form button[type='submit']").await?;
    let filed = wait_text(c, "投诉已受理").await?;
    ensure(
        filed.contains("天津市滨海新区新北街道办事处") && filed.contains("查询码只显示这一次"),
        || format!("the filed page:\n{filed}"),
    )?;
    let secrets = c
        .find_all(Locator::Css(".oneshot .secret"))
        .await
        .map_err(here!())?;
    ensure(secrets.len() == 2, || {
        format!("the tracking number and the code: {filed}")
    })?;
    let tracking_no = secrets[0].text().await.map_err(here!())?.trim().to_string();
    let code = secrets[1].text().await.map_err(here!())?.trim().to_string();
    ensure(tracking_no.starts_with("TS") && !code.is_empty(), || {
        format!("tracking number {tracking_no}, code {code}")
    })?;
    w.shot(c, "02-filed").await?;

    // The status page before anyone acted: 待处理, nothing to rate.
    let status = query_status(c, w, &tracking_no, &code).await?;
    ensure(
        status.contains("待处理") && status.contains(content) && !status.contains("评价答复"),
        || format!("the status page of a new complaint:\n{status}"),
    )?;

    // --- 2. The credit office finds it in its cases and routes it to the township -------------
    login(c, w, OFFICE).await?;
    nav(c, "案件办理").await?;
    wait_text(c, "未办结案件").await?;
    let row = format!("//tr[td//span[normalize-space(.) = '{tracking_no}']]");
    let link = c
        .find(Locator::XPath(&format!(
            "{row}//a[starts-with(@href, '/console/cases/')]"
        )))
        .await
        .map_err(|e| format!("{tracking_no} is not among the credit office's cases: {e}"))?;
    w.shot(c, "03-office-cases").await?;
    submit(c, link).await?;
    let page = wait_text(c, "办理经过").await?;
    let case = id_in_path(c).await?;
    ensure(
        page.contains(&tracking_no)
            && page.contains("李女士，13912345678")
            && page.contains(&format!("记录 #{}", f.record)),
        || format!("the complaint as the credit office sees it:\n{page}"),
    )?;
    let form = step_form(c, "route").await?;
    let unit = form
        .find(Locator::Css("input[name='unit']"))
        .await
        .map_err(here!())?;
    unit.send_keys(TOWN).await.map_err(here!())?;
    form.find(Locator::Css("textarea[name='text']"))
        .await
        .map_err(here!())?
        .send_keys("请核实投诉反映的欠款情况，并按期答复投诉人。")
        .await
        .map_err(here!())?;
    w.shot(c, "04-office-route").await?;
    let button = form
        .find(Locator::Css("button[type='submit']"))
        .await
        .map_err(here!())?;
    submit(c, button).await?;
    let flash = wait_flash(c).await?;
    ensure(
        flash.contains("已转办") && flash.contains("办理中"),
        || format!("routing: {flash}"),
    )?;
    w.shot(c, "05-office-routed").await?;
    logout(c).await?;

    // --- 3. The township hears of it by the bell and answers it -------------------------------
    login(c, w, UNIT).await?;
    let bell = element_text(c, "a.bell .count").await?;
    ensure(bell.parse::<u32>().is_ok_and(|n| n >= 1), || {
        format!("the township's bell shows {bell}")
    })?;
    follow(c, "a.bell").await?;
    let notes = wait_text(c, "未读").await?;
    ensure(notes.contains("转来待办"), || {
        format!("the township's notifications:\n{notes}")
    })?;
    w.shot(c, "06-unit-notifications").await?;
    follow(c, &format!("a[href='/console/cases/{case}']")).await?;
    let page = wait_text(c, "办理经过").await?;
    ensure(
        page.contains(content) && page.contains("办理中") && !page.contains("13912345678"),
        || format!("the complaint as the township sees it (without the contact):\n{page}"),
    )?;
    let answer = "经核查，该工程款因结算审核延迟支付，现已全额支付，并已向企业说明情况、致歉。";
    let form = step_form(c, "answer").await?;
    form.find(Locator::Css("select[name='finding']"))
        .await
        .map_err(here!())?
        .select_by_value("founded")
        .await
        .map_err(here!())?;
    form.find(Locator::Css("textarea[name='text']"))
        .await
        .map_err(here!())?
        .send_keys(answer)
        .await
        .map_err(here!())?;
    form.find(Locator::Css("input[type='file'][name='files']"))
        .await
        .map_err(here!())?
        .send_keys(&f.report.display().to_string())
        .await
        .map_err(here!())?;
    w.shot(c, "07-unit-answer").await?;
    let button = form
        .find(Locator::Css("button[type='submit']"))
        .await
        .map_err(here!())?;
    submit(c, button).await?;
    let flash = wait_flash(c).await?;
    ensure(
        flash.contains("已答复") && flash.contains("附件 1 个"),
        || format!("answering: {flash}"),
    )?;
    let page = body_text(c).await;
    ensure(
        page.contains(answer) && page.contains("核查情况报告.pdf"),
        || format!("the answer and its file in the history:\n{page}"),
    )?;
    w.shot(c, "08-unit-answered").await?;
    logout(c).await?;

    // --- 4. The public reads the answer, without any staff name, and rates it -----------------
    let status = query_status(c, w, &tracking_no, &code).await?;
    ensure(
        status.contains("已答复")
            && status.contains(answer)
            && status.contains("承办单位")
            && status.contains("转办")
            && status.contains("评价答复"),
        || format!("the status page with the answer:\n{status}"),
    )?;
    for name in &f.staff {
        ensure(!status.contains(name.as_str()), || {
            format!("the public sees the staff name {name}:\n{status}")
        })?;
    }
    w.shot(c, "09-status-answered").await?;
    c.find(Locator::Css(
        "form[action='/complaints/rating'] input[name='stars'][value='5']",
    ))
    .await
    .map_err(here!())?
    .click()
    .await
    .map_err(here!())?;
    type_into(
        c,
        "form[action='/complaints/rating'] textarea[name='note']",
        "答复及时，欠款已收到。",
    )
    .await?;
    click(c, "form[action='/complaints/rating'] button[type='submit']").await?;
    let rated = wait_text(c, "感谢您的评价").await?;
    ensure(
        rated.contains("您的评价：5 星") && !rated.contains("评价答复"),
        || format!("after rating:\n{rated}"),
    )?;
    w.shot(c, "10-rated").await?;
    // Asked again, the rating is there, and there is nothing more to rate.
    let again = query_status(c, w, &tracking_no, &code).await?;
    ensure(
        again.contains("您的评价：5 星") && !again.contains("评价答复"),
        || format!("the status page after rating:\n{again}"),
    )?;

    // --- 5. A wrong code reads exactly as an unknown number ----------------------------------
    let wrong_code = if code.starts_with('A') { "B" } else { "A" }.repeat(code.len());
    let wrong = status_refused(c, w, &tracking_no, &wrong_code).await?;
    w.shot(c, "11-wrong-code").await?;
    let unknown_no = format!(
        "{}-9999",
        tracking_no.rsplit_once('-').map_or("", |(p, _)| p)
    );
    let unknown = status_refused(c, w, &unknown_no, &code).await?;
    ensure(
        wrong == unknown && wrong.contains("未找到该投诉"),
        || format!("a wrong code says “{wrong}”, an unknown number “{unknown}”"),
    )
}

/// Asks the status page about a complaint through its form; returns the page's text.
async fn query_status(c: &Client, w: &Walk, no: &str, code: &str) -> Res<String> {
    fill_status(c, w, no, code).await?;
    wait_text(c, "办理经过").await
}

/// Asks the status page with a number and code it must not know; returns what it says.
async fn status_refused(c: &Client, w: &Walk, no: &str, code: &str) -> Res<String> {
    fill_status(c, w, no, code).await?;
    wait_css(c, "p.error").await?;
    let page = body_text(c).await;
    ensure(!page.contains("办理经过"), || {
        format!("{no} with {code} shows a complaint:\n{page}")
    })?;
    element_text(c, "p.error").await
}

async fn fill_status(c: &Client, w: &Walk, no: &str, code: &str) -> Res {
    w.goto(c, "/complaints/status").await?;
    wait_css(c, "form[action='/complaints/status'] input[name='code']").await?;
    type_into(
        c,
        "form[action='/complaints/status'] input[name='tracking_no']",
        no,
    )
    .await?;
    type_into(
        c,
        "form[action='/complaints/status'] input[name='code']",
        code,
    )
    .await?;
    click(c, "form[action='/complaints/status'] button[type='submit']").await
}

// ---------------------------------------------------------------------------------------------
// The repair

/// What the repair walk knows before the browser starts.
struct RepairFacts {
    /// The record to repair: its id, document number, and the township's USCC.
    record: i64,
    document_no: String,
    uscc: String,
    /// The application's two files: the proof of payment and the signed 信用承诺书.
    proof: PathBuf,
    commitment: PathBuf,
}

#[test]
fn a_repaired_record_leaves_the_public_search_and_profile_in_chromium() {
    if !browser_available() {
        return;
    }
    let Some(b) = backends("browser_cases").into_iter().next() else {
        return;
    };
    let started = Instant::now();
    let today = probity_app::today();
    demo_district(&b.store, today);
    let town = b.store.find_unit(TOWN).unwrap();
    let (record, document_no) = record_to_repair(&b.store, &town, today);
    let work = tempfile::tempdir().unwrap();
    let proof = work.path().join("付款凭证.pdf");
    std::fs::write(&proof, pdf("payment voucher")).unwrap();
    let commitment = work.path().join("信用承诺书（已签署）.pdf");
    std::fs::write(&commitment, pdf("signed credit commitment")).unwrap();
    let facts = RepairFacts {
        record,
        document_no,
        uscc: town.uscc.clone().unwrap(),
        proof,
        commitment,
    };

    // The server indexes what the database holds when it starts, the new record included.
    let server = Server::start(&b.store);
    let walk = Walk {
        base: server.base.clone(),
        shots: shots_of("repair"),
        name: "repair",
    };
    let chromium = Chromium::start();
    let shown = chromium.run(&walk, repair_applied(&chromium.client, &walk, &facts));
    // What `serve`'s indexer does every few seconds: the approval reaches the search index.
    server.catch_up();
    chromium.run(&walk, repair_seen(&chromium.client, &walk, &facts, shown));
    drop(chromium);
    drop(server);
    eprintln!(
        "repair walk: {:?}, screenshots in {}",
        started.elapsed(),
        walk.shots.display()
    );
}

/// A record of arrears about the township, reported by the finance bureau four months ago and
/// activated by the credit office through the use cases, as their forms would: public, and past
/// the three months an ordinary record waits for repair. Returns its id and document number.
fn record_to_repair(store: &Store, town: &Subject, today: NaiveDate) -> (i64, String) {
    use probity_app::records::{RecordInput, Saved, Via};
    let app = probity_app::App::new(store.clone(), probity_app::Clock::system());
    let actor = |name: &str, reach| {
        let account = store.account_by_name(name).unwrap().unwrap();
        probity_app::Actor::new(account, reach)
    };
    let decided = today.checked_sub_days(Days::new(120)).unwrap();
    // A number no demo record of the bureau has.
    let document_no = (901..)
        .map(|n| format!("津滨财〔{}〕{n}号", decided.year()))
        .find(|no| {
            let f = RecordFilter {
                document_no: Some(no.clone()),
                ..Default::default()
            };
            store
                .list_records(&f, probity_store::RecordOrder::Newest, None, 1)
                .unwrap()
                .is_empty()
        })
        .unwrap();
    let row = RecordRow {
        subject_name: town.name.clone(),
        uscc: town.uscc.clone().unwrap(),
        category: "PAYMENT_ARREARS".into(),
        document_no: document_no.clone(),
        decided_on: decided.to_string(),
        authority: "天津市滨海新区财政局".into(),
        facts: "逾期未支付滨海晨曦信息技术有限公司政务云运维服务费".into(),
        outcome: "责令限期支付".into(),
        ..Default::default()
    };
    let provider = actor("caizhengju", probity_domain::authz::Reach::OwnProvided);
    let input = RecordInput {
        row,
        provider: None,
        draft: false,
    };
    let via = Via {
        channel: probity_store::Channel::Form,
        source: String::new(),
    };
    let id = match probity_app::records::create(&app, &provider, input, via).unwrap() {
        Saved::New(r) => r.id,
        Saved::Existing(r) => panic!("record #{} exists already", r.id),
    };
    let office = actor(OFFICE, probity_domain::authz::Reach::All);
    probity_app::records::act(&app, &office, id, Action::Activate, "").unwrap();
    (id, document_no)
}

/// The public's search for the document number, in the portal's search box; returns the text of
/// the hit that carries it, if any.
async fn search_hit(c: &Client, w: &Walk, document_no: &str) -> Res<Option<String>> {
    w.goto(c, "/").await?;
    wait_text(c, "最新公示").await?;
    type_into(c, "form.bigsearch input[name='q']", document_no).await?;
    click(c, "form.bigsearch button").await?;
    wait_text(c, "共找到").await?;
    let hits = c
        .find_all(Locator::Css("li.hit.record"))
        .await
        .map_err(here!())?;
    for hit in hits {
        let text = hit.text().await.map_err(here!())?;
        if text.contains(document_no) {
            return Ok(Some(text));
        }
    }
    Ok(None)
}

/// The township's public profile; returns its text and the number of dishonest records shown.
async fn profile(c: &Client, w: &Walk, uscc: &str) -> Res<(String, usize)> {
    w.goto(c, &format!("/subjects/{uscc}")).await?;
    let text = wait_text(c, "失信记录").await?;
    let shown = element_text(c, "section.card p strong").await?;
    let n = shown
        .parse()
        .map_err(|_| format!("the profile's count “{shown}”:\n{text}"))?;
    Ok((text, n))
}

/// Up to the approval: the public finds the record, the township applies, the credit office
/// approves. Returns the number of dishonest records the profile showed before.
async fn repair_applied(c: &Client, w: &Walk, f: &RepairFacts) -> Res<usize> {
    // --- 1. The public finds the record by its number, and on the township's profile ---------
    let hit = search_hit(c, w, &f.document_no).await?;
    ensure(
        hit.as_deref().is_some_and(|h| {
            h.contains("天津市滨海新区新北街道办事处") && h.contains("拖欠企业账款")
        }),
        || format!("the search for {} finds {hit:?}", f.document_no),
    )?;
    w.shot(c, "01-search").await?;
    let subject = c
        .find(Locator::XPath(&format!(
            "//li[contains(@class, 'hit')][.//a[normalize-space(.) = '{}']]//a[starts-with(@href, '/subjects/')]",
            f.document_no
        )))
        .await
        .map_err(here!())?;
    submit(c, subject).await?;
    wait_path(c, &format!("/subjects/{}", f.uscc)).await?;
    let (text, before) = profile(c, w, &f.uscc).await?;
    ensure(text.contains(&f.document_no), || {
        format!("the profile shows {}:\n{text}", f.document_no)
    })?;
    w.shot(c, "02-profile").await?;
    follow(c, &format!("a[href='/records/{}']", f.record)).await?;
    let page = wait_text(c, &f.document_no).await?;
    ensure(page.contains("政务云运维服务费"), || {
        format!("the public record page:\n{page}")
    })?;
    w.shot(c, "02b-public-record").await?;

    // --- 2. The township applies for repair from its file -------------------------------------
    login(c, w, UNIT).await?;
    nav(c, "本单位信用档案").await?;
    wait_text(c, "统一社会信用代码").await?;
    let row = format!("//tr[td[normalize-space(.) = '{}']]", f.document_no);
    let state = c
        .find(Locator::XPath(&format!(
            "{row}//span[contains(@class, 'state')]"
        )))
        .await
        .map_err(|e| format!("{} is not in the township's file: {e}", f.document_no))?
        .text()
        .await
        .map_err(here!())?;
    ensure(state == "已生效", || {
        format!("the record's state: {state}")
    })?;
    w.shot(c, "03-unit-file").await?;
    follow(c, &format!("a[href='/console/records/{}']", f.record)).await?;
    wait_text(c, "申请信用修复").await?;
    w.shot(c, "04-unit-record").await?;
    follow(
        c,
        &format!("a[href='/console/records/{}/repair']", f.record),
    )
    .await?;
    let conditions = wait_text(c, "信用修复的条件").await?;
    ensure(
        conditions.contains("可以申请信用修复") && conditions.contains("3 个月"),
        || format!("the repair conditions:\n{conditions}"),
    )?;
    let form = format!("form[action='/console/records/{}/repair']", f.record);
    for tick in ["commitment_signed", "obligations_fulfilled"] {
        c.find(Locator::Css(&format!("{form} input[name='{tick}']")))
            .await
            .map_err(here!())?
            .click()
            .await
            .map_err(here!())?;
    }
    type_into(
        c,
        &format!("{form} textarea[name='statement']"),
        "拖欠的运维服务费及逾期利息已于上月全额支付，已建立合同付款台账并明确专人跟踪，特申请信用修复。",
    )
    .await?;
    // Both files at once, as a person picks two in the file dialog.
    c.find(Locator::Css(&format!(
        "{form} input[type='file'][name='files']"
    )))
    .await
    .map_err(here!())?
    .send_keys(&format!(
        "{}\n{}",
        f.proof.display(),
        f.commitment.display()
    ))
    .await
    .map_err(here!())?;
    w.shot(c, "05-unit-application").await?;
    click(c, &format!("{form} button[type='submit']")).await?;
    let flash = wait_flash(c).await?;
    ensure(flash.contains("已提交信用修复申请"), || {
        format!("the application: {flash}")
    })?;
    let case = id_in_path(c).await?;
    let page = wait_text(c, "办理经过").await?;
    ensure(
        page.contains("付款凭证.pdf") && page.contains("信用承诺书（已签署）.pdf"),
        || format!("the application's files:\n{page}"),
    )?;
    w.shot(c, "06-unit-applied").await?;
    logout(c).await?;

    // --- 3. The credit office hears of it and approves ----------------------------------------
    login(c, w, OFFICE).await?;
    follow(c, "a.bell").await?;
    let notes = wait_text(c, "未读").await?;
    ensure(notes.contains("收到信用修复申请"), || {
        format!("the credit office's notifications:\n{notes}")
    })?;
    follow(c, &format!("a[href='/console/cases/{case}']")).await?;
    let page = wait_text(c, "办理经过").await?;
    ensure(
        page.contains("信用承诺书：已签署；履行决定所确定的义务：已履行")
            && page.contains(&f.document_no),
        || format!("the application as the credit office sees it:\n{page}"),
    )?;
    let form = step_form(c, "approve").await?;
    form.find(Locator::Css("textarea[name='text']"))
        .await
        .map_err(here!())?
        .send_keys("经审核，申请单位已履行支付义务并完成整改，材料齐全，准予信用修复。")
        .await
        .map_err(here!())?;
    w.shot(c, "07-office-case").await?;
    let button = form
        .find(Locator::Css("button[type='submit']"))
        .await
        .map_err(here!())?;
    submit(c, button).await?;
    let flash = wait_flash(c).await?;
    ensure(flash.contains("已准予修复"), || {
        format!("the approval: {flash}")
    })?;
    let page = body_text(c).await;
    ensure(
        page.contains("已办结") && page.contains("已修复"),
        || format!("the approved case:\n{page}"),
    )?;
    w.shot(c, "08-office-approved").await?;
    logout(c).await?;
    Ok(before)
}

/// After the approval: the record is gone from the search and the profile, and the township's
/// file shows it repaired with its case.
async fn repair_seen(c: &Client, w: &Walk, f: &RepairFacts, before: usize) -> Res {
    // --- 4. The public no longer finds it ----------------------------------------------------
    let hit = search_hit(c, w, &f.document_no).await?;
    ensure(hit.is_none(), || {
        format!("the search still finds the repaired record: {hit:?}")
    })?;
    w.shot(c, "09-search-after").await?;
    let (text, after) = profile(c, w, &f.uscc).await?;
    ensure(
        !text.contains(&f.document_no) && after + 1 == before,
        || format!("the profile after the repair ({before} records before, {after} now):\n{text}"),
    )?;
    w.shot(c, "10-profile-after").await?;
    // Its own page, where a link kept elsewhere still leads, is gone as well.
    w.goto(c, &format!("/records/{}", f.record)).await?;
    wait_css(c, "p.error").await?;
    let page = body_text(c).await;
    ensure(!page.contains(&f.document_no), || {
        format!("the public record page after the repair:\n{page}")
    })?;
    w.shot(c, "10b-public-record-after").await?;

    // --- 5. The township's file keeps it, repaired, with its case -----------------------------
    login(c, w, UNIT).await?;
    nav(c, "本单位信用档案").await?;
    wait_text(c, "统一社会信用代码").await?;
    let row = format!("//tr[td[normalize-space(.) = '{}']]", f.document_no);
    let state = c
        .find(Locator::XPath(&format!(
            "{row}//span[contains(@class, 'state')]"
        )))
        .await
        .map_err(|e| format!("{} left the township's file: {e}", f.document_no))?
        .text()
        .await
        .map_err(here!())?;
    ensure(state == "已修复", || {
        format!("the record's state in the file: {state}")
    })?;
    w.shot(c, "11-unit-file-after").await?;
    follow(c, &format!("a[href='/console/records/{}']", f.record)).await?;
    let page = wait_text(c, "相关案件").await?;
    let state = element_text(c, "dl.card span.state").await?;
    ensure(state == "已修复", || {
        format!("the record page's state: {state}")
    })?;
    ensure(
        page.contains("信用修复") && page.contains("已办结"),
        || format!("the repaired record with its case:\n{page}"),
    )?;
    let again = c
        .find_all(Locator::XPath("//a[normalize-space(.) = '申请信用修复']"))
        .await
        .map_err(here!())?;
    ensure(again.is_empty(), || {
        "a repaired record offers another repair".into()
    })?;
    w.shot(c, "12-unit-record-after").await?;
    let case = c
        .find(Locator::XPath(
            "//h2[normalize-space(.) = '相关案件']/following::table[1]//tr[td[normalize-space(.) = '信用修复']]//a",
        ))
        .await
        .map_err(|e| format!("the repair case is not among the record's cases: {e}"))?;
    submit(c, case).await?;
    let history = wait_text(c, "办理经过").await?;
    ensure(
        history.contains("准予修复")
            && history.contains("经审核，申请单位已履行支付义务")
            && history.contains("信用承诺书（已签署）.pdf"),
        || format!("the repair's history:\n{history}"),
    )?;
    w.shot(c, "13-unit-repair-case").await?;
    logout(c).await
}
