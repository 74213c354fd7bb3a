//! The yearly assessment's console pages (考核评价) as a browser without JavaScript drives them,
//! on SQLite and PostgreSQL, against a server whose clock starts on 1 June 2026 and is moved to
//! the first working day of 2027 to close the year-end review: the ranking of every group in
//! Chinese, filtered; a unit's explained result with a record's deduction linked to the record;
//! the office's score and the unit's self-assessment through the forms, a bad score refused with
//! both problems at their fields; who sees which unit; closing with its confirmation, the signed
//! snapshot without forms, reopening only with a reason; every score line in the workbook; the
//! indicator set refused with every problem of a broken TOML.

use probity_app::assessment_export::HEADERS;
use probity_domain::account::AccountRole;
use probity_domain::assessment::{Period, PeriodKind};
use probity_domain::authz::Reach;
use probity_domain::subject::RosterRow;
use probity_ingest::{ColumnSpec, TableReader};
use probity_store::Store;
use probity_testkit::browser::{Browser, Page, between};
use probity_testkit::{Accounts, backends, roster};
use reqwest::StatusCode;

use crate::platform::{
    Served, app_on_day, browser_on_clock, civil_servant, day, empty_index, import_rows,
};

/// A Monday in 2026: records are reported and scores given while the year-end review runs.
const START: &str = "2026-06-01";
/// The first working day of 2027: the 2026 year-end review may be closed.
const CLOSING: &str = "2027-01-04";

const YEAR_END: &str = "/console/assessments?year=2026&period=year_end";

/// The functional zone the small roster lacks.
const ZONE: &str = "天津经济技术开发区管理委员会";

/// The platform on a loopback port, on an `App` whose clock the test moves.
struct Site {
    base: String,
    app: probity_app::App,
    store: Store,
    accounts: Accounts,
    _server: Served,
}

impl Site {
    /// The small roster (two departments, two townships) with a functional zone, and the credit
    /// office, the finance bureau's provider account, 新河街道's unit account and the
    /// organisation department (`ap_<role>`).
    fn start(store: &Store) -> Site {
        roster::binhai(store);
        let zone = RosterRow {
            name: ZONE.into(),
            short_name: "开发区".into(),
            kind: "功能区".into(),
            uscc: roster::uscc("WB000007"),
            parent: "区政府".into(),
            ..Default::default()
        };
        import_rows(store, vec![zone]);
        let accounts = Accounts::create(
            store,
            "ap",
            &[
                AccountRole::Admin,
                AccountRole::Provider,
                AccountRole::Unit,
                AccountRole::Hr,
            ],
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

    /// A browser logged in as `role`, with a session opened on the platform's clock (open one
    /// again after moving the clock).
    fn as_role(&self, role: AccountRole) -> Browser {
        browser_on_clock(&self.base, &self.store, &self.app, &self.accounts, role)
    }

    /// Moves the platform's clock to 10:00 of `d` in Beijing.
    fn move_to(&self, d: &str) {
        let at = day(d).and_hms_opt(2, 0, 0).unwrap().and_utc();
        self.app.clock().set(at);
        assert_eq!(self.app.today(), day(d));
    }

    fn head(&self) -> i64 {
        self.store.head_seq().unwrap()
    }

    fn unit(&self, short: &str) -> i64 {
        self.store.find_unit(short).unwrap().id
    }

    /// A record of arrears about 新河街道 decided in January 2026, reported by the finance
    /// bureau on its form and activated by the credit office on the record page.
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

fn unit_page(unit: i64) -> String {
    format!("/console/assessments/2026/year_end/units/{unit}")
}

fn scores(unit: i64) -> String {
    format!("{}/scores", unit_page(unit))
}

/// Posts a score form of the unit page as the browser's account.
fn give(b: &mut Browser, unit: i64, indicator: &str, points: &str, comment: &str) -> Page {
    let csrf = b.get(&unit_page(unit)).csrf();
    b.post(
        &scores(unit),
        &[
            ("csrf", &csrf),
            ("indicator", indicator),
            ("points", points),
            ("comment", comment),
        ],
    )
}

/// The visible text of a page: no tags, and nothing of what no official reads as text (scripts,
/// styles, the SVG's markup), nor the TOML being edited and the keys shown to write it (`<code>`,
/// as the tour reads pages).
fn visible(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        out.push(' ');
        rest = &rest[i..];
        let skip = ["<script", "<style", "<svg", "<textarea", "<title", "<code"]
            .iter()
            .find(|t| rest.starts_with(**t))
            .map(|t| format!("</{}>", &t[1..]));
        let end = match skip {
            Some(close) => rest.find(&close).map(|j| j + close.len()),
            None => rest.find('>').map(|j| j + 1),
        };
        rest = &rest[end.unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// The internal words a page must never show an official.
const CODES: &[&str] = &[
    "year_end",
    "mid_year",
    "functional_zone",
    "department",
    "township",
    "office_scored",
    "self_assessed",
    "computed",
    "insufficient_data",
    "not_applicable",
    "calculated",
    "proportional",
    "Record(",
    "Case(",
    "Entry(",
    "admin:",
    "unit:",
];

fn assert_no_codes(name: &str, what: &str, page: &Page) {
    let text = visible(&page.body);
    for code in CODES {
        assert!(
            !text.contains(code),
            "[{name}] {what} shows {code:?}: {text}"
        );
    }
}

/// The error shown right after the field `id` (its `…-e` span).
fn field_error(page: &Page, id: &str) -> String {
    between(&page.body, &format!("id=\"{id}-e\">"), "</span>")
        .unwrap_or_else(|| panic!("no error at {id}: {}", page.body))
}

#[test]
fn the_ranking_names_every_group_and_unit_in_chinese_and_filters() {
    for b in backends("assessment_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut office = s.as_role(AccountRole::Admin);
        let p = office.get(YEAR_END);
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body
                .contains(r#"href="/console/assessments">考核评价</a>"#),
            "[{name}] in the nav"
        );
        assert!(p.body.contains("<h2>2026年年终考评</h2>"), "[{name}]");
        for group in ["功能区（1 个单位", "区级部门（2 个单位", "街镇（2 个单位"]
        {
            assert!(p.body.contains(group), "[{name}] {group}: {}", p.body);
        }
        let town = s.unit("新河街道");
        let zone = s.unit("开发区");
        assert!(
            p.body.contains(&format!(
                r#"<a href="{}">{}</a>"#,
                unit_page(town),
                roster::TOWN
            )),
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains(ZONE) && p.body.contains(roster::COURT));
        // The district government is not assessed.
        assert!(
            !p.body.contains(&format!(">{}</a>", roster::GOV)),
            "[{name}]"
        );
        // Nobody has been scored by hand yet: every total waits for data, in Chinese.
        assert!(p.body.contains("数据不足") && p.body.contains("暂不定等次"));
        assert!(
            p.body.contains("进行中") && p.body.contains("结果按平台截至 2026-06-01"),
            "[{name}]"
        );
        assert!(p.body.contains("年中检查") && p.body.contains("年终考评"));
        // A chart per group and the distribution, each with a table.
        assert_eq!(
            p.body.matches("<svg class=\"chart\"").count(),
            4,
            "[{name}]"
        );
        assert!(
            p.body
                .contains("<caption class=\"sr-only\">各分组的等次分布（单位数）</caption>")
        );
        assert!(
            p.body.contains("归档本考核期"),
            "[{name}] the office closes"
        );
        assert_no_codes(name, "the ranking", &p);

        // The filters: a group, a name, a grade.
        let p = office.get(&format!("{YEAR_END}&group=township"));
        assert!(p.body.contains(roster::TOWN) && p.body.contains(roster::OTHER_TOWN));
        assert!(
            !p.body.contains(ZONE) && !p.body.contains(roster::COURT),
            "[{name}]"
        );
        assert!(
            p.body
                .contains("按筛选条件显示 2 个单位（本期共 5 个被考核单位）")
        );
        let p = office.get(&format!("{YEAR_END}&q=%E5%A4%A7%E6%B2%BD")); // 大沽
        assert!(p.body.contains(roster::OTHER_TOWN) && !p.body.contains(roster::TOWN));
        let p = office.get(&format!("{YEAR_END}&grade=%E4%BC%98%E7%A7%80")); // 优秀
        assert!(p.body.contains("没有符合条件的单位") && !p.body.contains(roster::TOWN));
        let p = office.get(&format!("{YEAR_END}&grade=none"));
        assert!(p.body.contains(roster::TOWN) && p.body.contains(ZONE));
        // A period that does not exist is refused in Chinese.
        let p = office.get("/console/assessments?year=2026&period=q3");
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("考核期 q3 不存在"), "[{name}]");
        // A year without an indicator set says so and leads to the set's page.
        let p = office.get("/console/assessments?year=2025&period=year_end");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("2025 年度尚未设定考核指标体系"));
        assert!(p.body.contains(r#"href="/console/assessments/sets/2025""#));

        // The organisation department reads the same ranking, with no button of the office's.
        let mut hr = s.as_role(AccountRole::Hr);
        let p = hr.get(YEAR_END);
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains(roster::TOWN) && p.body.contains("区级部门"));
        assert!(!p.body.contains("归档本考核期") && !p.body.contains("重新开启"));
        assert!(
            p.body
                .contains(r#"href="/console/assessments">考核评价</a>"#)
        );
        let p = hr.get(&unit_page(zone));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            !p.body.contains("score-form"),
            "[{name}] no form for the HR"
        );
        // The summary to print, for the district government and the organisation department.
        let p = hr.get("/console/assessments/summary?year=2026&period=year_end");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("报送：区政府、区委组织部"));
        assert!(p.body.contains("2026年年终考评政务诚信考核结果汇总"));
        assert!(p.body.contains("尚未归档，仅供参考") && p.body.contains(ZONE));
        assert_no_codes(name, "the summary", &p);

        // A provider (the finance bureau) has no ranking: its own result, no other unit's.
        let mut provider = s.as_role(AccountRole::Provider);
        assert_eq!(provider.get(YEAR_END).status, StatusCode::SEE_OTHER);
        assert_eq!(provider.get(&unit_page(town)).status, StatusCode::FORBIDDEN);
    }
}

#[test]
fn a_units_page_explains_each_point_and_takes_the_scores_of_both_forms() {
    for b in backends("assessment_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut office = s.as_role(AccountRole::Admin);
        let mut provider = s.as_role(AccountRole::Provider);
        let mut unit = s.as_role(AccountRole::Unit);
        let town = s.unit("新河街道");
        let record = s.active_record(&mut provider, &mut office, "津滨财〔2026〕7号");

        // The record's deduction, linked to the record; the radar with its numbers.
        let p = office.get(&unit_page(town));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body.contains(&format!(
                r#"<a href="/console/records/{record}">记录第 {record} 号</a>"#
            )),
            "[{name}] {}",
            p.body
        );
        let line = between(
            &p.body,
            "<tr><td class=\"num\">-",
            &format!("记录第 {record} 号"),
        )
        .unwrap_or_else(|| panic!("[{name}] no deduction line: {}", p.body));
        assert!(line.contains("津滨财〔2026〕7号"), "[{name}] {line}");
        assert!(p.body.contains("<svg class=\"chart radar\""), "[{name}]");
        assert!(p.body.contains("各维度得分（数据表）") && p.body.contains("依法行政"));
        assert!(p.body.contains("单位尚未自评") && p.body.contains("信用办尚未评分"));
        assert!(p.body.contains(roster::TOWN) && p.body.contains("（街镇）"));
        assert_no_codes(name, "the unit page", &p);
        // The office has a form on each indicator it scores or confirms.
        assert!(
            p.body.contains(r#"name="indicator" value="D1.01""#),
            "[{name}]"
        );
        assert!(
            p.body.contains(r#"name="indicator" value="D1.03""#),
            "[{name}]"
        );

        // A bad score: out of range and without a reason, both shown at their fields, nothing
        // written.
        let head = s.head();
        let p = give(&mut office, town, "D1.01", "9", "  ");
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert_eq!(
            field_error(&p, "pts-D1.01"),
            "评分 9 分超出本指标分值范围 0–4 分",
            "[{name}]"
        );
        assert_eq!(
            field_error(&p, "cmt-D1.01"),
            "请写明评分理由或自评说明",
            "[{name}]"
        );
        assert!(
            p.body.contains(r#"name="points" value="9""#),
            "[{name}] kept"
        );
        assert_eq!(s.head(), head, "[{name}] nothing journaled");
        let p = give(&mut office, town, "D1.01", "三分", "材料齐全");
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(field_error(&p, "pts-D1.01").contains("不是有效的分值"));
        assert!(p.body.contains("材料齐全"), "[{name}] the comment kept");

        // The office scores D1.01; the page shows the score and its line.
        let p = give(
            &mut office,
            town,
            "D1.01",
            "3.5",
            "重大决策程序完备，一项未公开征求意见",
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert_eq!(p.location(), format!("{}#ind-D1.01", unit_page(town)));
        assert_eq!(
            p.flash(),
            "已保存指标 D1.01「重大行政决策法定程序履行」的评分：3.5 分",
            "[{name}]"
        );
        let p = office.get(&unit_page(town));
        assert!(
            p.body
                .contains("信用办评分 3.5 分：重大决策程序完备，一项未公开征求意见"),
            "[{name}] {}",
            p.body
        );
        let entry = between(&p.body, "<p class=\"entry\" id=\"entry-", "\"").unwrap();
        assert!(
            p.body.contains(&format!(
                r##"<a href="#entry-{entry}">评分第 {entry} 号</a>"##
            )),
            "[{name}] the line leads to its score"
        );
        assert!(p.body.contains(r#"name="points" value="3.5""#), "[{name}]");

        // The unit: its own page, its self-assessment form only, and no form of the office's.
        let p = unit.get("/console/assessments?year=2026&period=year_end");
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert_eq!(p.location(), unit_page(town));
        let p = unit.get(&unit_page(town));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body
                .contains(r#"href="/console/assessments">考核评价</a>"#)
        );
        assert!(
            p.body.contains(r#"name="indicator" value="D1.03""#),
            "[{name}]"
        );
        assert!(
            !p.body.contains(r#"name="indicator" value="D1.01""#),
            "[{name}]"
        );
        assert!(
            p.body
                .contains(&format!(r#"href="/console/records/{record}""#)),
            "[{name}] a unit opens its own record"
        );
        let p = give(&mut unit, town, "D1.03", "3", "三项制度已落实，附执法台账");
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(p.flash().contains("自评"), "[{name}] {}", p.flash());
        // The office's scores are not the unit's to give.
        let p = give(&mut unit, town, "D1.01", "4", "自认为满分");
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("由信用办评分，单位不能自评"), "[{name}]");
        let p = unit.get(&unit_page(town));
        assert!(p.body.contains("单位自评 3 分，待信用办确认"), "[{name}]");

        // The office sees the claim and adjusts it.
        let p = office.get(&unit_page(town));
        assert!(
            p.body
                .contains("信用办确认或调整</strong>：单位自评 3 分：三项制度已落实，附执法台账"),
            "[{name}] {}",
            p.body
        );
        let p = give(
            &mut office,
            town,
            "D1.03",
            "4",
            "经核查台账完整，三项制度均已落实",
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let p = unit.get(&unit_page(town));
        assert!(
            p.body
                .contains("单位自评 3 分，信用办调整为 4 分：经核查台账完整，三项制度均已落实"),
            "[{name}] {}",
            p.body
        );
        // Once confirmed, the unit has no form on it any more.
        assert!(
            !p.body.contains(r#"name="indicator" value="D1.03""#),
            "[{name}]"
        );

        // The organisation department reads the lines, without a link to a record it cannot open.
        let mut hr = s.as_role(AccountRole::Hr);
        let p = hr.get(&unit_page(town));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains(&format!("记录第 {record} 号")), "[{name}]");
        assert!(
            !p.body
                .contains(&format!(r#"href="/console/records/{record}""#)),
            "[{name}]"
        );
        // The print view: the same explanation, no form.
        let p = unit.get(&format!("{}/print", unit_page(town)));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("考核结果报告") && p.body.contains(&format!("记录第 {record} 号")));
        assert!(!p.body.contains("score-form"), "[{name}]");
    }
}

#[test]
fn a_unit_sees_its_own_result_and_no_other() {
    for b in backends("assessment_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut unit = s.as_role(AccountRole::Unit);
        let town = s.unit("新河街道");
        let other = s.unit("大沽街道");
        let p = unit.get(&unit_page(town));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains(roster::TOWN));
        let p = unit.get(&unit_page(other));
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}] {}", p.body);
        assert!(p.body.contains("只能查看本单位的考核结果"), "[{name}]");
        assert!(!p.body.contains(roster::OTHER_TOWN), "[{name}]");
        let p = unit.get(&format!("{}/print", unit_page(other)));
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}]");
        let head = s.head();
        let p = give(&mut unit, other, "D1.03", "3", "代为自评");
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}] {}", p.body);
        assert_eq!(s.head(), head, "[{name}]");
        // No unit behind an id, and the district's pages.
        let p = unit.get(&unit_page(999_999));
        assert!(
            matches!(p.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
            "[{name}] {}",
            p.status
        );
        for path in [
            "/console/assessments.xlsx?year=2026&period=year_end",
            "/console/assessments/summary?year=2026&period=year_end",
            "/console/assessments/sets/2026",
        ] {
            assert_eq!(
                unit.get(path).status,
                StatusCode::FORBIDDEN,
                "[{name}] {path}"
            );
        }
        // The credit office opens a unit that is not assessed as not found.
        let mut office = s.as_role(AccountRole::Admin);
        let gov = s.unit("区政府");
        assert_eq!(office.get(&unit_page(gov)).status, StatusCode::NOT_FOUND);
    }
}

#[test]
fn closing_freezes_a_signed_period_and_reopening_needs_a_reason() {
    for b in backends("assessment_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let town = s.unit("新河街道");
        let close = "/console/assessments/2026/year_end/close";
        let reopen = "/console/assessments/2026/year_end/reopen";

        // Before the year is over the confirmation page explains, and closing is refused.
        let mut office = s.as_role(AccountRole::Admin);
        let p = office.get(close);
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("归档前请确认") && p.body.contains("确认归档"));
        assert!(p.body.contains("尚有数据不足的指标"), "[{name}]");
        let p = office.post(close, &[("csrf", &p.csrf()), ("confirmed", "yes")]);
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("结束前不能归档"), "[{name}] {}", p.body);

        // On the first working day of 2027: without the confirmation nothing happens.
        s.move_to(CLOSING);
        let mut office = s.as_role(AccountRole::Admin);
        let mut unit = s.as_role(AccountRole::Unit);
        let csrf = office.get(close).csrf();
        let head = s.head();
        let p = office.post(close, &[("csrf", &csrf)]);
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert_eq!(
            field_error_by_id(&p, "confirm-error"),
            "请勾选确认：已核对本期全部单位的结果，同意归档"
        );
        assert_eq!(s.head(), head, "[{name}] nothing journaled");
        let p = office.post(close, &[("csrf", &csrf), ("confirmed", "yes")]);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert_eq!(p.location(), YEAR_END);
        assert!(
            p.flash().contains("已归档2026年年终考评：5 个单位"),
            "[{name}] {}",
            p.flash()
        );

        let p = office.get(YEAR_END);
        assert!(
            p.body.contains("已归档") && p.body.contains("验签通过"),
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("信用办 ap_admin"), "[{name}] by whom");
        assert!(!p.body.contains("归档本考核期"), "[{name}]");
        assert!(p.body.contains("重新开启"), "[{name}]");
        assert_no_codes(name, "the closed ranking", &p);
        for who in [&mut office, &mut unit] {
            let p = who.get(&unit_page(town));
            assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
            assert!(
                p.body.contains("已归档") && p.body.contains("验签通过"),
                "[{name}]"
            );
            assert!(
                !p.body.contains("score-form"),
                "[{name}] no score form once closed"
            );
        }
        let p = office.get("/console/assessments/summary?year=2026&period=year_end");
        assert!(
            p.body.contains("验签通过") && !p.body.contains("仅供参考"),
            "[{name}]"
        );
        // A score posted anyway is refused with the reason, at the top of the page.
        let head = s.head();
        let p = give(&mut office, town, "D1.01", "4", "补评");
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("已归档，评分不能再修改"),
            "[{name}] {}",
            p.body
        );
        assert_eq!(s.head(), head, "[{name}]");

        // Reopening needs a reason.
        let csrf = office.get(YEAR_END).csrf();
        let p = office.post(reopen, &[("csrf", &csrf), ("reason", "  ")]);
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert_eq!(
            between(&p.body, "id=\"reopen-error\" role=\"alert\">", "</span>").as_deref(),
            Some("重新开启须写明理由"),
            "[{name}]"
        );
        assert!(p.body.contains("已归档"), "[{name}] still closed");
        assert_eq!(s.head(), head, "[{name}]");
        // Only the credit office reopens.
        let mut hr = s.as_role(AccountRole::Hr);
        let hr_csrf = hr.get(YEAR_END).csrf();
        let p = hr.post(reopen, &[("csrf", &hr_csrf), ("reason", "复核")]);
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}]");
        let reason = "新河街道对D1.01评分提出复核，经研究重新评分";
        let p = office.post(reopen, &[("csrf", &csrf), ("reason", reason)]);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(p.flash().contains("已重新开启2026年年终考评"), "[{name}]");
        let p = office.get(YEAR_END);
        assert!(
            p.body.contains("进行中") && p.body.contains(reason),
            "[{name}]"
        );
        assert!(p.body.contains("归档本考核期"), "[{name}]");
        let p = office.get(&unit_page(town));
        assert!(
            p.body.contains("score-form") && p.body.contains(reason),
            "[{name}]"
        );
    }
}

/// The text of the element with `id` (a field's error).
fn field_error_by_id(page: &Page, id: &str) -> String {
    let at = page
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no {id}: {}", page.body));
    let rest = &page.body[at..];
    between(rest, ">", "</").unwrap()
}

/// The rows of a workbook, read with the platform's reader (calamine).
fn read_workbook(bytes: &[u8]) -> Vec<Vec<String>> {
    let columns: Vec<ColumnSpec> = HEADERS
        .iter()
        .map(|(k, h)| ColumnSpec::new(k, h, true))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("明细.xlsx");
    std::fs::write(&path, bytes).unwrap();
    TableReader::open(&path, &columns)
        .unwrap()
        .map(|r| r.unwrap().cells)
        .collect()
}

#[test]
fn the_workbook_has_a_row_for_every_score_line_with_its_evidence() {
    for b in backends("assessment_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut office = s.as_role(AccountRole::Admin);
        let mut provider = s.as_role(AccountRole::Provider);
        let town = s.unit("新河街道");
        let record = s.active_record(&mut provider, &mut office, "津滨财〔2026〕9号");
        let p = give(&mut office, town, "D1.01", "3", "一项程序缺失");
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);

        let res = office.get("/console/assessments.xlsx?year=2026&period=year_end");
        assert_eq!(res.status, StatusCode::OK, "[{name}] {}", res.body);
        let disposition = res.headers["content-disposition"].to_str().unwrap();
        assert!(disposition.contains("attachment"), "[{name}] {disposition}");
        let bytes = office
            .request(
                reqwest::Method::GET,
                "/console/assessments.xlsx?year=2026&period=year_end",
            )
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        let rows = read_workbook(&bytes);

        // One row per score line, and one for each indicator without lines (its note).
        let actor =
            probity_app::Actor::new(s.accounts.account(&s.store, AccountRole::Admin), Reach::All);
        let period = Period::new(2026, PeriodKind::YearEnd).unwrap();
        let results = probity_app::assessment::results(&s.app, &actor, period).unwrap();
        let expected: usize = results
            .units
            .iter()
            .flat_map(|r| &r.assessment.total.dimensions)
            .flat_map(|d| &d.indicators)
            .map(|(_, r)| r.lines().len().max(1))
            .sum();
        let lines: usize = results
            .units
            .iter()
            .flat_map(|r| &r.assessment.total.dimensions)
            .flat_map(|d| &d.indicators)
            .map(|(_, r)| r.lines().len())
            .sum();
        assert!(lines >= 2, "[{name}] the record's and the score's lines");
        assert_eq!(rows.len(), expected, "[{name}]");

        let deduction = rows
            .iter()
            .find(|r| r[11] == format!("记录第 {record} 号") && r[0] == roster::TOWN)
            .unwrap_or_else(|| panic!("[{name}] no row for the record: {rows:?}"));
        assert_eq!(deduction[0], roster::TOWN, "[{name}] {deduction:?}");
        assert_eq!(deduction[1], "街镇");
        assert_eq!(deduction[6], "已计算");
        assert!(deduction[9].starts_with('-'), "[{name}] {deduction:?}");
        assert!(
            deduction[10].contains("津滨财〔2026〕9号"),
            "[{name}] {deduction:?}"
        );
        let scored = rows
            .iter()
            .find(|r| r[3].starts_with("D1.01 ") && r[0] == roster::TOWN)
            .unwrap();
        assert_eq!(scored[2], "D1 依法行政", "[{name}] {scored:?}");
        assert_eq!(scored[3], "D1.01 重大行政决策法定程序履行");
        assert_eq!(scored[4], "信用办评分");
        assert_eq!((scored[5].as_str(), scored[7].as_str()), ("4", "3"));
        assert!(scored[10].contains("一项程序缺失") && scored[11].starts_with("评分第 "));
        let waiting = rows
            .iter()
            .find(|r| r[3].starts_with("D1.01 ") && r[0] == roster::OTHER_TOWN)
            .unwrap();
        assert_eq!(
            (waiting[6].as_str(), waiting[10].as_str()),
            ("数据不足", "信用办尚未评分"),
            "[{name}] {waiting:?}"
        );
        for row in &rows {
            for cell in row {
                assert!(!CODES.iter().any(|c| cell.contains(c)), "[{name}] {row:?}");
            }
        }
        // The organisation department downloads it too; a unit does not.
        let mut hr = s.as_role(AccountRole::Hr);
        let p = hr.get("/console/assessments.xlsx?year=2026&period=year_end");
        assert_eq!(p.status, StatusCode::OK, "[{name}]");
    }
}

#[test]
fn the_indicator_set_page_refuses_a_broken_set_with_every_problem() {
    for b in backends("assessment_pages") {
        let name = b.name;
        let s = Site::start(&b.store);
        let mut office = s.as_role(AccountRole::Admin);
        let p = office.get("/console/assessments/sets/2026");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("滨海新区2026年度政务诚信考核指标体系"));
        assert!(p.body.contains("随平台提供的默认指标体系"), "[{name}]");
        for text in [
            "D1 依法行政（20 分）",
            "重大行政决策法定程序履行",
            "信用办评分",
            "单位自评",
            "系统计算",
            "计算口径：单位政务失信记录",
            "全部被考核单位",
            "90 分及以上",
            "低于 60 分",
            "本期有严重政务失信记录",
        ] {
            assert!(p.body.contains(text), "[{name}] {text}: {}", p.body);
        }
        assert!(
            p.body.contains("<textarea id=\"set-text\""),
            "[{name}] the office edits"
        );
        assert!(
            p.body
                .contains(r#"href="/console/assessments/sets/2026/indicators.toml""#)
        );
        assert_no_codes(name, "the indicator set", &p);
        let toml = office.get("/console/assessments/sets/2026/indicators.toml");
        assert_eq!(toml.status, StatusCode::OK);
        assert!(toml.body.starts_with("# 滨海新区2026年度"), "[{name}]");

        // A set with three problems: all three, nothing saved, the text kept.
        let broken = toml
            .body
            .replacen("total_points = 100", "total_points = 90", 1)
            .replacen(
                "name = \"滨海新区2026年度政务诚信考核指标体系\"",
                "name = \" \"",
                1,
            )
            .replacen("at_most = \"合格\"", "at_most = \"特优\"", 1);
        let head = s.head();
        let csrf = p.csrf();
        let path = "/console/assessments/sets/2026";
        let p = office.post(path, &[("csrf", &csrf), ("text", &broken)]);
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(p.body.contains("共 3 个问题"), "[{name}] {}", p.body);
        for problem in [
            "各维度分值合计 100 分，应等于总分 90 分",
            "指标体系名称不能为空",
            "等次「特优」不在本指标体系的等次中",
        ] {
            assert!(p.body.contains(problem), "[{name}] {problem}");
        }
        assert!(
            p.body.contains("total_points = 90"),
            "[{name}] the text kept"
        );
        assert_eq!(s.head(), head, "[{name}] nothing saved");
        // A syntax error names its line.
        let p = office.post(path, &[("csrf", &csrf), ("text", "year = 2026\nname = \n")]);
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("指标体系文件第 2 行"),
            "[{name}] {}",
            p.body
        );
        // Another year's set under this year is refused.
        let p = office.post(
            "/console/assessments/sets/2027",
            &[("csrf", &csrf), ("text", &toml.body)],
        );
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            p.body.contains("指标体系写的年度是 2026，应为 2027"),
            "[{name}]"
        );

        // A good change is saved and journaled; the page says who keeps it now.
        let changed = toml
            .body
            .replacen("每缺一项程序扣1分。", "每缺一项程序扣1分，扣完为止。", 1);
        assert_ne!(changed, toml.body);
        let p = office.post(path, &[("csrf", &csrf), ("text", &changed)]);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(
            p.flash().contains("已保存 2026 年度考核指标体系"),
            "[{name}]"
        );
        assert!(s.head() > head, "[{name}] journaled");
        let p = office.get(path);
        assert!(
            p.body.contains("信用办于 ") && p.body.contains("扣完为止"),
            "[{name}]"
        );
        let toml = office.get("/console/assessments/sets/2026/indicators.toml");
        assert_eq!(toml.body, changed, "[{name}]");

        // The organisation department reads the set and cannot edit it.
        let mut hr = s.as_role(AccountRole::Hr);
        let p = hr.get(path);
        assert_eq!(p.status, StatusCode::OK, "[{name}]");
        assert!(p.body.contains("重大行政决策法定程序履行") && !p.body.contains("<textarea"));
        let p = hr.post(path, &[("csrf", &csrf), ("text", &changed)]);
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}]");
        // A year without a set: a draft to start from.
        let p = office.get("/console/assessments/sets/2027");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains("2027 年度尚未设定考核指标体系") && p.body.contains("year = 2027"));
    }
}

/// A civil servant of 新河街道, whose name and ID number a score's comment may carry.
const PERSON: &str = "金超文";

fn person_id() -> probity_domain::ident::IdNumber {
    probity_domain::ident::IdNumber::from_parts("120116", day("1982-03-20"), 27).unwrap()
}

/// A mobile number written in a comment.
const PHONE: &str = "13820071234";

fn add_person(store: &Store) {
    import_rows(store, vec![civil_servant(PERSON, &person_id())]);
}

/// The bytes of a download, read again with the browser's session.
fn bytes_of(b: &Browser, path: &str) -> Vec<u8> {
    b.request(reqwest::Method::GET, path)
        .send()
        .unwrap()
        .bytes()
        .unwrap()
        .to_vec()
}

/// Every cell of a workbook, joined.
fn workbook_text(bytes: &[u8]) -> String {
    read_workbook(bytes)
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("|")
}

#[test]
fn an_id_number_or_phone_in_a_comment_or_reason_shows_in_clear_to_the_credit_office_only() {
    for b in backends("assessment_masking") {
        let name = b.name;
        let s = Site::start(&b.store);
        add_person(&b.store);
        s.move_to(CLOSING);
        let town = s.unit("新河街道");
        let id = person_id();
        let id = id.as_str();
        let mut office = s.as_role(AccountRole::Admin);
        let mut unit = s.as_role(AccountRole::Unit);
        let mut hr = s.as_role(AccountRole::Hr);

        // The unit self-assesses naming its clerk; the office scores and confirms, naming him
        // with his ID number and phone; the period is closed and reopened with a reason that
        // names him again.
        let p = give(
            &mut unit,
            town,
            "D4.04",
            "4",
            &format!("台账由{PERSON}整理，联系电话{PHONE}"),
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let comment = format!("经办人{PERSON}（身份证号{id}）未按期公开，电话 {PHONE}");
        for code in ["D1.01", "D4.04"] {
            let p = give(&mut office, town, code, "3", &comment);
            assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        }
        let csrf = office
            .get("/console/assessments/2026/year_end/close")
            .csrf();
        let p = office.post(
            "/console/assessments/2026/year_end/close",
            &[("csrf", &csrf), ("confirmed", "yes")],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        let csrf = office.get(YEAR_END).csrf();
        let reason = format!("{PERSON}（{id}）提出复核申请");
        let p = office.post(
            "/console/assessments/2026/year_end/reopen",
            &[("csrf", &csrf), ("reason", &reason)],
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);

        // The credit office reads them as written.
        let p = office.get(&unit_page(town));
        assert!(
            p.body.contains(id) && p.body.contains(PHONE),
            "[{name}] the office"
        );
        assert!(p.body.contains(PERSON), "[{name}] the office");

        // Everyone else, and everything made for them, reads them blanked and masked.
        let api = format!("/api/v1/assessments/2026/units/{town}");
        let ranking = hr.get(YEAR_END);
        let shown = [
            ("the unit's page", unit.get(&unit_page(town)).body),
            (
                "the unit's print",
                unit.get(&format!("{}/print", unit_page(town))).body,
            ),
            ("the unit's API view", unit.get(&api).body),
            ("the hr's view of the unit", hr.get(&unit_page(town)).body),
            ("the hr's API view", hr.get(&api).body),
            ("the hr's ranking", ranking.body.clone()),
            (
                "the hr's API ranking",
                hr.get("/api/v1/assessments/2026").body,
            ),
            (
                "the printed summary",
                hr.get("/console/assessments/summary?year=2026&period=year_end")
                    .body,
            ),
            (
                "the hr's workbook",
                workbook_text(&bytes_of(
                    &hr,
                    "/console/assessments.xlsx?year=2026&period=year_end",
                )),
            ),
        ];
        for (what, text) in &shown {
            assert!(!text.contains(id), "[{name}] {what} shows the ID number");
            assert!(
                !text.contains(&id[..17]),
                "[{name}] {what} shows the ID number"
            );
            assert!(!text.contains(PHONE), "[{name}] {what} shows the phone");
            assert!(
                !text.contains(PERSON),
                "[{name}] {what} names {PERSON} in clear"
            );
        }
        for (what, text) in &shown[..5] {
            assert!(
                text.contains("金*"),
                "[{name}] {what} names the clerk masked"
            );
        }
        assert!(
            shown[0].1.contains("[身份证号已隐去]") && shown[0].1.contains("[电话号码已隐去]"),
            "[{name}] {}",
            shown[0].1
        );
        assert!(
            ranking.body.contains("金*（[身份证号已隐去]）提出复核申请"),
            "[{name}] the reopening's reason: {}",
            ranking.body
        );
        let workbook = &shown[8].1;
        assert!(
            workbook.contains("经办人金*（身份证号[身份证号已隐去]）"),
            "[{name}] {workbook}"
        );
        // The office's own workbook keeps them.
        let mine = workbook_text(&bytes_of(
            &office,
            "/console/assessments.xlsx?year=2026&period=year_end",
        ));
        assert!(mine.contains(id), "[{name}] the office's workbook");
        // The audit trail names the reopening without the number.
        let journal = s.store.journal_page(0, 1_000).unwrap();
        assert!(
            journal
                .iter()
                .filter(|e| e.entity == "assessment")
                .all(|e| !e.detail.contains(id)),
            "[{name}] the journal"
        );
    }
}

#[test]
fn a_score_form_takes_files_of_evidence_shown_as_links_on_the_units_page() {
    for b in backends("assessment_evidence") {
        let name = b.name;
        let s = Site::start(&b.store);
        let town = s.unit("新河街道");
        let mut office = s.as_role(AccountRole::Admin);
        let mut unit = s.as_role(AccountRole::Unit);
        let pdf: &[u8] = b"%PDF-1.4\n%%EOF\n";

        // The unit self-assesses with its ledger attached.
        let csrf = unit.get(&unit_page(town)).csrf();
        let p = unit.post_file(
            &scores(town),
            &[
                ("csrf", &csrf),
                ("indicator", "D4.04"),
                ("points", "4"),
                ("comment", "承诺事项已全部兑现"),
            ],
            ("承诺兑现台账.pdf", pdf),
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(
            p.flash().contains("佐证材料 1 个"),
            "[{name}] {}",
            p.flash()
        );

        // A file of the wrong kind: refused at the file's field, nothing saved.
        let csrf = csrf_of(&mut office, town);
        let head = s.head();
        let p = office.post_file(
            &scores(town),
            &[
                ("csrf", &csrf),
                ("indicator", "D1.01"),
                ("points", "3"),
                ("comment", "一项程序缺失"),
            ],
            ("核查记录.txt", b"plain text"),
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        let error = field_error(&p, "file-D1.01");
        assert!(
            error.contains("不支持的附件类型") && error.contains("文件需重新选择"),
            "[{name}] {error}"
        );
        assert_eq!(s.head(), head, "[{name}] nothing saved");

        // The page lists the file with the score, and both sides download it.
        for who in [&mut unit, &mut office] {
            let p = who.get(&unit_page(town));
            let href = between(&p.body, "<p class=\"evidence\">佐证材料：<a href=\"", "\"")
                .unwrap_or_else(|| panic!("[{name}] no evidence link: {}", p.body));
            assert!(p.body.contains("承诺兑现台账.pdf"), "[{name}]");
            assert!(
                p.body.contains("enctype=\"multipart/form-data\""),
                "[{name}]"
            );
            let res = who.get(&href);
            assert_eq!(res.status, StatusCode::OK, "[{name}] {href}");
            assert!(
                res.headers["content-disposition"]
                    .to_str()
                    .unwrap()
                    .starts_with("attachment"),
                "[{name}]"
            );
            assert_eq!(bytes_of(who, &href), pdf, "[{name}]");
        }
    }
}

fn csrf_of(b: &mut Browser, unit: i64) -> String {
    b.get(&unit_page(unit)).csrf()
}

#[test]
fn a_providing_department_finds_its_own_result_in_the_menu() {
    for b in backends("assessment_provider") {
        let name = b.name;
        let s = Site::start(&b.store);
        let finance = s.unit("区财政局");
        let town = s.unit("新河街道");
        let mut provider = s.as_role(AccountRole::Provider);
        let p = provider.get("/console");
        assert!(
            p.body.contains("href=\"/console/assessments\""),
            "[{name}] the menu: {}",
            p.body
        );
        let p = provider.get(YEAR_END);
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert_eq!(p.location(), unit_page(finance), "[{name}]");
        let p = provider.get(&unit_page(finance));
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(p.body.contains(roster::FINANCE), "[{name}]");
        // Its accounts self-assess the unit's self-assessed indicators, as a unit's would;
        // they score nothing the credit office scores.
        assert!(
            p.body.contains("提交自评"),
            "[{name}] the self-assessment form"
        );
        assert!(
            !p.body.contains("保存评分") && !p.body.contains("确认评分"),
            "[{name}] no office's form"
        );
        assert_no_codes(name, "the provider's own result", &p);
        let p = provider.get(&unit_page(town));
        assert_eq!(p.status, StatusCode::FORBIDDEN, "[{name}]");
    }
}
