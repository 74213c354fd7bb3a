//! The credit office's working-day calendar page (工作日历): the shipped years and their source,
//! the deadline calculator, an import refused with every problem of the file and nothing saved,
//! an import that replaces a year, the year as Excel that imports again unchanged; on SQLite and
//! (when PROBITY_TEST_PG is set) PostgreSQL.

use probity_domain::account::AccountRole;
use probity_testkit::{Accounts, Server, backends, roster};
use reqwest::StatusCode;

#[test]
fn the_credit_office_keeps_the_working_day_calendar() {
    for b in backends("calendar") {
        roster::binhai(&b.store);
        let acc = Accounts::create(&b.store, "c", &[AccountRole::Admin, AccountRole::Provider]);
        let s = Server::start(&b.store);
        let name = b.name;
        let mut admin = s.browser_as(&acc, AccountRole::Admin);

        let p = admin.get("/console/calendar?year=2026");
        assert_eq!(p.status, StatusCode::OK, "[{name}] {}", p.body);
        assert!(
            p.body.contains("国务院办公厅通知（随平台提供）"),
            "[{name}]"
        );
        assert!(
            p.body.contains("<td>2026 年</td><td>248</td>"),
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body
                .contains("<td>2026-10-10</td><td>星期六</td><td><strong>上班</strong>")
        );
        assert!(
            p.body.contains(r#"href="/console/calendar">工作日历</a>"#),
            "in the nav"
        );

        // The calculator: 10 working days from 30 September run past 国庆.
        let p = admin.get("/console/calendar?from=2026-09-30&n=10");
        assert!(
            p.body
                .contains("2026-09-30（星期三）后第 10 个工作日是 2026-10-20（星期二）"),
            "[{name}] {}",
            p.body
        );
        let p = admin.get("/console/calendar?from=2027-01-04&n=1");
        assert!(p.body.contains("2027 年的工作日历尚未维护"), "[{name}]");
        let p = admin.get("/console/calendar?from=明天&n=x");
        assert!(p.body.contains("起算日期：无法识别的日期"), "[{name}]");

        // A file with problems: every one, by row, and nothing saved.
        let head = b.store.head_seq().unwrap();
        let csrf = admin.get("/console/calendar").csrf();
        let bad = "日期,类型,名称\n2027-01-01,放假,元旦\n2027-03-03,上班,\n2027-01-01,休,\n";
        let p = admin.post_file(
            "/console/calendar/import",
            &[("csrf", &csrf)],
            ("2027.csv", bad.as_bytes()),
        );
        assert_eq!(
            p.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("第 3 行：2027-03-03 是工作日"),
            "[{name}] {}",
            p.body
        );
        assert!(
            p.body.contains("第 4 行：2027-01-01 重复列出"),
            "[{name}] {}",
            p.body
        );
        assert_eq!(
            b.store.head_seq().unwrap(),
            head,
            "[{name}] nothing journaled"
        );
        let p = admin.post_file("/console/calendar/import", &[("csrf", &csrf)], ("", b""));
        assert!(
            p.body.contains("请选择要导入的工作日历文件"),
            "[{name}] {}",
            p.body
        );

        // A good file: saved, journaled, counted on at once.
        let good = "日期,类型,名称\n2027-01-01,放假,元旦\n2027-02-06,放假,春节\n2027-02-07,上班,春节调休\n";
        let p = admin.post_file(
            "/console/calendar/import",
            &[("csrf", &csrf)],
            ("2027.csv", good.as_bytes()),
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(
            p.flash().contains("已导入工作日历：2027 年，共 3 个"),
            "[{name}]"
        );
        let p = admin.follow(&p);
        assert!(p.body.contains("信用办维护"), "[{name}]");
        let p = admin.get("/console/calendar?from=2027-02-05&n=1");
        assert!(
            p.body.contains("是 2027-02-07（星期日）"),
            "[{name}] {}",
            p.body
        );

        // The year as Excel imports again with nothing to change.
        let res = admin
            .request(reqwest::Method::GET, "/console/calendar.xlsx?year=2027")
            .send()
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "[{name}]");
        let x = (res.status(), res.bytes().unwrap().to_vec());
        let head = b.store.head_seq().unwrap();
        let p = admin.post_file(
            "/console/calendar/import",
            &[("csrf", &csrf)],
            ("工作日历-2027年.xlsx", &x.1),
        );
        assert_eq!(p.status, StatusCode::SEE_OTHER, "[{name}] {}", p.body);
        assert!(p.flash().contains("未改动"), "[{name}] {}", p.flash());
        assert_eq!(b.store.head_seq().unwrap(), head, "[{name}]");
        assert!(b.store.verify().unwrap().problem.is_none(), "[{name}]");

        // Not a provider's page.
        let mut provider = s.browser_as(&acc, AccountRole::Provider);
        assert_eq!(
            provider.get("/console/calendar").status,
            StatusCode::FORBIDDEN
        );
    }
}
