//! The yearly assessment walked through in headless Chromium, against a real server loaded with
//! the demo district (SQLite), in one browser:
//!
//! - the credit office opens 考核评价, reads the ranking of the year-end review by group, opens
//!   新北街道's explained score and gives a score on its form (a wrong one first: both problems
//!   named at their fields); then reopens the closed mid-year check with a reason and closes it
//!   again (its snapshot signed: 验签通过);
//! - 新北街道 opens its own explanation from the navigation and follows a deduction to the record
//!   that cost it;
//! - the 组织人事部门 uploads an Excel list of two civil servants, one with a dishonest record of
//!   this year, and reads each one's eligibility for 优秀 with its reason.
//!
//! Screenshots of each step land in `target/browser-screenshots/cases/assessment-*.png`. Skipped
//! without Chromium (and failing under CI), as `browser.rs` is.

use std::path::PathBuf;
use std::time::Instant;

use chrono::Datelike;
use fantoccini::{Client, Locator};
use probity_domain::record::RecordState;
use probity_ingest::{Format, TableWriter};
use probity_testkit::{Server, backends};

use crate::browser::{Res, body_text, browser_available, click, ensure, submit, wait_text};
use crate::browser_cases::{Chromium, Walk, demo_district, follow, login, logout, nav, shots_of};

macro_rules! here {
    () => {
        |e| format!("browser_assessment.rs:{}: {e}", line!())
    };
}

const TOWN: &str = "新北街道";

/// What the walk knows before the browser starts.
struct Facts {
    year: i32,
    town: i64,
    /// The Excel list for the 组织人事部门: (path, restricted person's name, clear one's name).
    list: PathBuf,
    restricted: String,
    clear: String,
}

#[test]
fn the_year_end_review_is_read_scored_closed_and_checked_in_chromium() {
    if !browser_available() {
        return;
    }
    let Some(b) = backends("browser_assessment").into_iter().next() else {
        return;
    };
    let started = Instant::now();
    let today = probity_app::today();
    demo_district(&b.store, today);
    let store = &b.store;
    let town = store.find_unit(TOWN).unwrap();
    // Two civil servants: one with a dishonest record decided this year, one with none at all.
    let people: Vec<_> = store
        .subjects()
        .unwrap()
        .into_iter()
        .filter(|s| s.kind == probity_domain::subject::SubjectKind::CivilServant)
        .collect();
    let facts_of = |id: i64| store.sanction_facts(id).unwrap();
    let restricted = people
        .iter()
        .find(|p| {
            facts_of(p.id).iter().any(|r| {
                r.kind == probity_domain::catalog::RecordKind::Dishonest
                    && r.decided_on.year() == today.year()
                    && r.state == RecordState::Active
                    && !r.exemption
            })
        })
        .expect("a civil servant with a dishonest record of this year in the demo");
    let clear = people
        .iter()
        .find(|p| facts_of(p.id).is_empty())
        .expect("a civil servant with no record in the demo");
    let work = tempfile::tempdir().unwrap();
    let list = work.path().join("拟评优秀人员名单.xlsx");
    let mut w = TableWriter::create(
        &list,
        Format::Xlsx,
        &[("name", "姓名"), ("id_number", "身份证号")],
    )
    .unwrap();
    for p in [restricted, clear] {
        let id = store.reveal_id_number(p.id).unwrap().unwrap();
        w.write_row(&[p.name.as_str(), id.as_str()]).unwrap();
    }
    w.finish().unwrap();
    let facts = Facts {
        year: today.year(),
        town: town.id,
        list,
        restricted: restricted.name.clone(),
        clear: clear.name.clone(),
    };

    let server = Server::start(store);
    let walk = Walk {
        base: server.base.clone(),
        shots: shots_of("assessment"),
        name: "assessment",
    };
    let chromium = Chromium::start();
    chromium.run(&walk, office(&chromium.client, &walk, &facts));
    chromium.run(&walk, unit(&chromium.client, &walk, &facts));
    chromium.run(&walk, organisation(&chromium.client, &walk, &facts));
    drop(chromium);
    drop(server);
    eprintln!(
        "assessment walk: {:?}, screenshots in {}",
        started.elapsed(),
        walk.shots.display()
    );
}

/// The score form of `indicator` on a unit's page.
async fn score_form(c: &Client, indicator: &str) -> Res<fantoccini::elements::Element> {
    let xpath = format!("//form[input[@name='indicator' and @value='{indicator}']]");
    match c.find(Locator::XPath(&xpath)).await {
        Ok(f) => Ok(f),
        Err(e) => Err(format!(
            "no score form for {indicator}: {e}\n{}",
            body_text(c).await
        )),
    }
}

async fn fill_score(c: &Client, indicator: &str, points: &str, comment: &str) -> Res {
    let form = score_form(c, indicator).await?;
    let p = form
        .find(Locator::Css("input[name='points']"))
        .await
        .map_err(here!())?;
    p.clear().await.map_err(here!())?;
    p.send_keys(points).await.map_err(here!())?;
    let t = form
        .find(Locator::Css("textarea[name='comment']"))
        .await
        .map_err(here!())?;
    t.clear().await.map_err(here!())?;
    t.send_keys(comment).await.map_err(here!())?;
    let button = form
        .find(Locator::Css("button[type='submit']"))
        .await
        .map_err(here!())?;
    submit(c, button).await
}

async fn office(c: &Client, w: &Walk, f: &Facts) -> Res {
    login(c, w, "xinyongban").await?;
    nav(c, "考核评价").await?;
    let text = wait_text(c, "年终考评").await?;
    for group in ["功能区", "区级部门", "街镇"] {
        ensure(text.contains(group), || {
            format!("no group {group}:\n{text}")
        })?;
    }
    ensure(
        !text.contains("year_end") && !text.contains("township"),
        || format!("internal codes on the ranking:\n{text}"),
    )?;
    w.shot(c, "01-ranking").await?;
    follow(c, &format!("a[href$='/units/{}']", f.town)).await?;
    let text = wait_text(c, "D1.01").await?;
    ensure(text.contains(TOWN), || {
        format!("not {TOWN}'s page:\n{text}")
    })?;
    w.shot(c, "02-unit").await?;
    // A wrong score: both problems at their fields, nothing saved.
    fill_score(c, "D1.01", "9", " ").await?;
    let text = wait_text(c, "超出").await?;
    ensure(text.contains("请写明评分理由"), || {
        format!("the comment's error:\n{text}")
    })?;
    w.shot(c, "03-score-refused").await?;
    fill_score(
        c,
        "D1.01",
        "3.5",
        "重大行政决策缺少专家论证程序一项，扣0.5分",
    )
    .await?;
    let text = wait_text(c, "缺少专家论证程序一项").await?;
    ensure(text.contains("信用办评分 3.5 分"), || {
        format!("the score's line:\n{text}")
    })?;
    w.shot(c, "04-scored").await?;

    // The mid-year check, closed by the demo: reopened with a reason, then closed again.
    w.goto(
        c,
        &format!("/console/assessments?year={}&period=mid_year", f.year),
    )
    .await?;
    wait_text(c, "验签通过").await?;
    c.find(Locator::Css("#reopen-reason"))
        .await
        .map_err(here!())?
        .send_keys("新北街道对年中检查结果提出异议，经核实需重新计算")
        .await
        .map_err(here!())?;
    click(c, "form.reopen button[type='submit']").await?;
    let text = wait_text(c, "进行中").await?;
    ensure(
        text.contains("新北街道对年中检查结果提出异议"),
        || format!("the reopening's reason:\n{text}"),
    )?;
    follow(c, "a.button[href$='/close']").await?;
    wait_text(c, "确认归档").await?;
    c.find(Locator::Css("input[name='confirmed']"))
        .await
        .map_err(here!())?
        .click()
        .await
        .map_err(here!())?;
    click(c, "button.danger[type='submit']").await?;
    let text = wait_text(c, "验签通过").await?;
    ensure(text.contains("已归档"), || format!("closed:\n{text}"))?;
    w.shot(c, "05-closed").await?;
    logout(c).await
}

async fn unit(c: &Client, w: &Walk, f: &Facts) -> Res {
    login(c, w, "xinbei").await?;
    nav(c, "考核评价").await?;
    let text = wait_text(c, "D5.01").await?;
    ensure(text.contains(TOWN), || format!("not its own page:\n{text}"))?;
    ensure(text.contains("缺少专家论证程序一项"), || {
        format!("the office's score is not explained to the unit:\n{text}")
    })?;
    w.shot(c, "06-unit-own").await?;
    // A deduction's record.
    follow(c, "a[href^='/console/records/']").await?;
    let url = c.current_url().await.map_err(here!())?;
    ensure(url.path().starts_with("/console/records/"), || {
        format!("not a record page: {url}")
    })?;
    wait_text(c, "文书号").await?;
    w.shot(c, "07-unit-record").await?;
    // Another unit's page is not its to read.
    w.goto(
        c,
        &format!(
            "/console/assessments/{}/year_end/units/{}",
            f.year,
            f.town + 100_000
        ),
    )
    .await?;
    let text = body_text(c).await;
    ensure(
        !text.contains("D5.01") && (text.contains("无权访问") || text.contains("不存在")),
        || format!("another unit's page opened:\n{text}"),
    )?;
    w.goto(c, "/console").await?;
    logout(c).await
}

async fn organisation(c: &Client, w: &Walk, f: &Facts) -> Res {
    login(c, w, "zuzhibu").await?;
    w.goto(c, "/console/eligibility").await?;
    wait_text(c, "名单文件").await?;
    c.find(Locator::Css(
        "form[action='/console/eligibility/list'] input[name='file']",
    ))
    .await
    .map_err(here!())?
    .send_keys(f.list.to_str().unwrap())
    .await
    .map_err(here!())?;
    click(
        c,
        "form[action='/console/eligibility/list'] button[value='page']",
    )
    .await?;
    let text = wait_text(c, "不得评为优秀").await?;
    ensure(text.contains("可以评为优秀"), || {
        format!("the clear one:\n{text}")
    })?;
    ensure(
        text.contains(&f.restricted) && text.contains(&f.clear),
        || format!("both people listed:\n{text}"),
    )?;
    ensure(text.contains("HC"), || format!("check numbers:\n{text}"))?;
    w.shot(c, "08-eligibility").await?;
    logout(c).await
}
